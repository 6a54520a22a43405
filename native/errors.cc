// Error messages, read from the C library. The errno names are generated with the other tables
// (native/constants.cc, from native/names/errno.txt): runtimes without libuv have no uv_err_name.
#include "common.h"

#include <cstring>

namespace bsd {
namespace {

// strerror(errno) -> the system's message for it
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::strerror(IntArg(info, 0)));
}

}  // namespace

void RegisterErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("strerror", Napi::Function::New(env, Strerror, "strerror"));
}

}  // namespace bsd
