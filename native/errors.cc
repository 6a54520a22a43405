// Error numbers: their names and messages, read from the C headers (runtimes without libuv have
// no uv_err_name, so the names are mapped here).
#include "common.h"

#include <cstring>

namespace bsd {
namespace {

// strerror(errno) -> the system's message for it
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::strerror(IntArg(info, 0)));
}

Napi::Object ErrnoNames(Napi::Env env) {
  Napi::Object names = Napi::Object::New(env);
#ifdef E2BIG
  names.Set("E2BIG", Num(env, E2BIG));
#endif
#ifdef EACCES
  names.Set("EACCES", Num(env, EACCES));
#endif
#ifdef EADDRINUSE
  names.Set("EADDRINUSE", Num(env, EADDRINUSE));
#endif
#ifdef EADDRNOTAVAIL
  names.Set("EADDRNOTAVAIL", Num(env, EADDRNOTAVAIL));
#endif
#ifdef EADV
  names.Set("EADV", Num(env, EADV));
#endif
#ifdef EAFNOSUPPORT
  names.Set("EAFNOSUPPORT", Num(env, EAFNOSUPPORT));
#endif
#ifdef EAGAIN
  names.Set("EAGAIN", Num(env, EAGAIN));
#endif
#ifdef EALREADY
  names.Set("EALREADY", Num(env, EALREADY));
#endif
#ifdef EBADE
  names.Set("EBADE", Num(env, EBADE));
#endif
#ifdef EBADF
  names.Set("EBADF", Num(env, EBADF));
#endif
#ifdef EBADFD
  names.Set("EBADFD", Num(env, EBADFD));
#endif
#ifdef EBADMSG
  names.Set("EBADMSG", Num(env, EBADMSG));
#endif
#ifdef EBADR
  names.Set("EBADR", Num(env, EBADR));
#endif
#ifdef EBADRQC
  names.Set("EBADRQC", Num(env, EBADRQC));
#endif
#ifdef EBADSLT
  names.Set("EBADSLT", Num(env, EBADSLT));
#endif
#ifdef EBFONT
  names.Set("EBFONT", Num(env, EBFONT));
#endif
#ifdef EBUSY
  names.Set("EBUSY", Num(env, EBUSY));
#endif
#ifdef ECANCELED
  names.Set("ECANCELED", Num(env, ECANCELED));
#endif
#ifdef ECHILD
  names.Set("ECHILD", Num(env, ECHILD));
#endif
#ifdef ECHRNG
  names.Set("ECHRNG", Num(env, ECHRNG));
#endif
#ifdef ECOMM
  names.Set("ECOMM", Num(env, ECOMM));
#endif
#ifdef ECONNABORTED
  names.Set("ECONNABORTED", Num(env, ECONNABORTED));
#endif
#ifdef ECONNREFUSED
  names.Set("ECONNREFUSED", Num(env, ECONNREFUSED));
#endif
#ifdef ECONNRESET
  names.Set("ECONNRESET", Num(env, ECONNRESET));
#endif
#ifdef EDEADLOCK
  names.Set("EDEADLOCK", Num(env, EDEADLOCK));
#endif
#ifdef EDESTADDRREQ
  names.Set("EDESTADDRREQ", Num(env, EDESTADDRREQ));
#endif
#ifdef EDOM
  names.Set("EDOM", Num(env, EDOM));
#endif
#ifdef EDOTDOT
  names.Set("EDOTDOT", Num(env, EDOTDOT));
#endif
#ifdef EDQUOT
  names.Set("EDQUOT", Num(env, EDQUOT));
#endif
#ifdef EEXIST
  names.Set("EEXIST", Num(env, EEXIST));
#endif
#ifdef EFAULT
  names.Set("EFAULT", Num(env, EFAULT));
#endif
#ifdef EFBIG
  names.Set("EFBIG", Num(env, EFBIG));
#endif
#ifdef EHOSTDOWN
  names.Set("EHOSTDOWN", Num(env, EHOSTDOWN));
#endif
#ifdef EHOSTUNREACH
  names.Set("EHOSTUNREACH", Num(env, EHOSTUNREACH));
#endif
#ifdef EIDRM
  names.Set("EIDRM", Num(env, EIDRM));
#endif
#ifdef EILSEQ
  names.Set("EILSEQ", Num(env, EILSEQ));
#endif
#ifdef EINPROGRESS
  names.Set("EINPROGRESS", Num(env, EINPROGRESS));
#endif
#ifdef EINTR
  names.Set("EINTR", Num(env, EINTR));
#endif
#ifdef EINVAL
  names.Set("EINVAL", Num(env, EINVAL));
#endif
#ifdef EIO
  names.Set("EIO", Num(env, EIO));
#endif
#ifdef EISCONN
  names.Set("EISCONN", Num(env, EISCONN));
#endif
#ifdef EISDIR
  names.Set("EISDIR", Num(env, EISDIR));
#endif
#ifdef EISNAM
  names.Set("EISNAM", Num(env, EISNAM));
#endif
#ifdef EKEYEXPIRED
  names.Set("EKEYEXPIRED", Num(env, EKEYEXPIRED));
#endif
#ifdef EKEYREJECTED
  names.Set("EKEYREJECTED", Num(env, EKEYREJECTED));
#endif
#ifdef EKEYREVOKED
  names.Set("EKEYREVOKED", Num(env, EKEYREVOKED));
#endif
#ifdef EL2HLT
  names.Set("EL2HLT", Num(env, EL2HLT));
#endif
#ifdef EL2NSYNC
  names.Set("EL2NSYNC", Num(env, EL2NSYNC));
#endif
#ifdef EL3HLT
  names.Set("EL3HLT", Num(env, EL3HLT));
#endif
#ifdef EL3RST
  names.Set("EL3RST", Num(env, EL3RST));
#endif
#ifdef ELIBACC
  names.Set("ELIBACC", Num(env, ELIBACC));
#endif
#ifdef ELIBBAD
  names.Set("ELIBBAD", Num(env, ELIBBAD));
#endif
#ifdef ELIBEXEC
  names.Set("ELIBEXEC", Num(env, ELIBEXEC));
#endif
#ifdef ELIBMAX
  names.Set("ELIBMAX", Num(env, ELIBMAX));
#endif
#ifdef ELIBSCN
  names.Set("ELIBSCN", Num(env, ELIBSCN));
#endif
#ifdef ELNRNG
  names.Set("ELNRNG", Num(env, ELNRNG));
#endif
#ifdef ELOOP
  names.Set("ELOOP", Num(env, ELOOP));
#endif
#ifdef EMEDIUMTYPE
  names.Set("EMEDIUMTYPE", Num(env, EMEDIUMTYPE));
#endif
#ifdef EMFILE
  names.Set("EMFILE", Num(env, EMFILE));
#endif
#ifdef EMLINK
  names.Set("EMLINK", Num(env, EMLINK));
#endif
#ifdef EMSGSIZE
  names.Set("EMSGSIZE", Num(env, EMSGSIZE));
#endif
#ifdef EMULTIHOP
  names.Set("EMULTIHOP", Num(env, EMULTIHOP));
#endif
#ifdef ENAMETOOLONG
  names.Set("ENAMETOOLONG", Num(env, ENAMETOOLONG));
#endif
#ifdef ENAVAIL
  names.Set("ENAVAIL", Num(env, ENAVAIL));
#endif
#ifdef ENETDOWN
  names.Set("ENETDOWN", Num(env, ENETDOWN));
#endif
#ifdef ENETRESET
  names.Set("ENETRESET", Num(env, ENETRESET));
#endif
#ifdef ENETUNREACH
  names.Set("ENETUNREACH", Num(env, ENETUNREACH));
#endif
#ifdef ENFILE
  names.Set("ENFILE", Num(env, ENFILE));
#endif
#ifdef ENOANO
  names.Set("ENOANO", Num(env, ENOANO));
#endif
#ifdef ENOBUFS
  names.Set("ENOBUFS", Num(env, ENOBUFS));
#endif
#ifdef ENOCSI
  names.Set("ENOCSI", Num(env, ENOCSI));
#endif
#ifdef ENODATA
  names.Set("ENODATA", Num(env, ENODATA));
#endif
#ifdef ENODEV
  names.Set("ENODEV", Num(env, ENODEV));
#endif
#ifdef ENOENT
  names.Set("ENOENT", Num(env, ENOENT));
#endif
#ifdef ENOEXEC
  names.Set("ENOEXEC", Num(env, ENOEXEC));
#endif
#ifdef ENOKEY
  names.Set("ENOKEY", Num(env, ENOKEY));
#endif
#ifdef ENOLCK
  names.Set("ENOLCK", Num(env, ENOLCK));
#endif
#ifdef ENOLINK
  names.Set("ENOLINK", Num(env, ENOLINK));
#endif
#ifdef ENOMEDIUM
  names.Set("ENOMEDIUM", Num(env, ENOMEDIUM));
#endif
#ifdef ENOMEM
  names.Set("ENOMEM", Num(env, ENOMEM));
#endif
#ifdef ENOMSG
  names.Set("ENOMSG", Num(env, ENOMSG));
#endif
#ifdef ENONET
  names.Set("ENONET", Num(env, ENONET));
#endif
#ifdef ENOPKG
  names.Set("ENOPKG", Num(env, ENOPKG));
#endif
#ifdef ENOPROTOOPT
  names.Set("ENOPROTOOPT", Num(env, ENOPROTOOPT));
#endif
#ifdef ENOSPC
  names.Set("ENOSPC", Num(env, ENOSPC));
#endif
#ifdef ENOSR
  names.Set("ENOSR", Num(env, ENOSR));
#endif
#ifdef ENOSTR
  names.Set("ENOSTR", Num(env, ENOSTR));
#endif
#ifdef ENOSYS
  names.Set("ENOSYS", Num(env, ENOSYS));
#endif
#ifdef ENOTBLK
  names.Set("ENOTBLK", Num(env, ENOTBLK));
#endif
#ifdef ENOTCONN
  names.Set("ENOTCONN", Num(env, ENOTCONN));
#endif
#ifdef ENOTDIR
  names.Set("ENOTDIR", Num(env, ENOTDIR));
#endif
#ifdef ENOTEMPTY
  names.Set("ENOTEMPTY", Num(env, ENOTEMPTY));
#endif
#ifdef ENOTNAM
  names.Set("ENOTNAM", Num(env, ENOTNAM));
#endif
#ifdef ENOTRECOVERABLE
  names.Set("ENOTRECOVERABLE", Num(env, ENOTRECOVERABLE));
#endif
#ifdef ENOTSOCK
  names.Set("ENOTSOCK", Num(env, ENOTSOCK));
#endif
#ifdef ENOTSUP
  names.Set("ENOTSUP", Num(env, ENOTSUP));
#endif
#ifdef ENOTTY
  names.Set("ENOTTY", Num(env, ENOTTY));
#endif
#ifdef ENOTUNIQ
  names.Set("ENOTUNIQ", Num(env, ENOTUNIQ));
#endif
#ifdef ENXIO
  names.Set("ENXIO", Num(env, ENXIO));
#endif
#ifdef EOVERFLOW
  names.Set("EOVERFLOW", Num(env, EOVERFLOW));
#endif
#ifdef EOWNERDEAD
  names.Set("EOWNERDEAD", Num(env, EOWNERDEAD));
#endif
#ifdef EPERM
  names.Set("EPERM", Num(env, EPERM));
#endif
#ifdef EPFNOSUPPORT
  names.Set("EPFNOSUPPORT", Num(env, EPFNOSUPPORT));
#endif
#ifdef EPIPE
  names.Set("EPIPE", Num(env, EPIPE));
#endif
#ifdef EPROTO
  names.Set("EPROTO", Num(env, EPROTO));
#endif
#ifdef EPROTONOSUPPORT
  names.Set("EPROTONOSUPPORT", Num(env, EPROTONOSUPPORT));
#endif
#ifdef EPROTOTYPE
  names.Set("EPROTOTYPE", Num(env, EPROTOTYPE));
#endif
#ifdef ERANGE
  names.Set("ERANGE", Num(env, ERANGE));
#endif
#ifdef EREMCHG
  names.Set("EREMCHG", Num(env, EREMCHG));
#endif
#ifdef EREMOTE
  names.Set("EREMOTE", Num(env, EREMOTE));
#endif
#ifdef EREMOTEIO
  names.Set("EREMOTEIO", Num(env, EREMOTEIO));
#endif
#ifdef ERESTART
  names.Set("ERESTART", Num(env, ERESTART));
#endif
#ifdef ERFKILL
  names.Set("ERFKILL", Num(env, ERFKILL));
#endif
#ifdef EROFS
  names.Set("EROFS", Num(env, EROFS));
#endif
#ifdef ESHUTDOWN
  names.Set("ESHUTDOWN", Num(env, ESHUTDOWN));
#endif
#ifdef ESOCKTNOSUPPORT
  names.Set("ESOCKTNOSUPPORT", Num(env, ESOCKTNOSUPPORT));
#endif
#ifdef ESPIPE
  names.Set("ESPIPE", Num(env, ESPIPE));
#endif
#ifdef ESRCH
  names.Set("ESRCH", Num(env, ESRCH));
#endif
#ifdef ESRMNT
  names.Set("ESRMNT", Num(env, ESRMNT));
#endif
#ifdef ESTALE
  names.Set("ESTALE", Num(env, ESTALE));
#endif
#ifdef ESTRPIPE
  names.Set("ESTRPIPE", Num(env, ESTRPIPE));
#endif
#ifdef ETIME
  names.Set("ETIME", Num(env, ETIME));
#endif
#ifdef ETIMEDOUT
  names.Set("ETIMEDOUT", Num(env, ETIMEDOUT));
#endif
#ifdef ETOOMANYREFS
  names.Set("ETOOMANYREFS", Num(env, ETOOMANYREFS));
#endif
#ifdef ETXTBSY
  names.Set("ETXTBSY", Num(env, ETXTBSY));
#endif
#ifdef EUCLEAN
  names.Set("EUCLEAN", Num(env, EUCLEAN));
#endif
#ifdef EUNATCH
  names.Set("EUNATCH", Num(env, EUNATCH));
#endif
#ifdef EUSERS
  names.Set("EUSERS", Num(env, EUSERS));
#endif
#ifdef EXDEV
  names.Set("EXDEV", Num(env, EXDEV));
#endif
#ifdef EXFULL
  names.Set("EXFULL", Num(env, EXFULL));
#endif
  return names;
}

}  // namespace

void RegisterErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("strerror", Napi::Function::New(env, Strerror, "strerror"));
  exports.Set("errnoNames", ErrnoNames(env));
}

}  // namespace bsd
