// Network interface names and indexes: if_nameindex, if_nametoindex, if_indextoname.
#include "common.h"

#include <net/if.h>

#include <string>

namespace bsd {
namespace {

// ifNameindex() -> [index, name][], or -errno
Napi::Value IfNameindex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct if_nameindex* list = if_nameindex();
  if (list == nullptr) return Num(env, -errno);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (struct if_nameindex* p = list; p->if_index != 0 || p->if_name != nullptr; p++) {
    Napi::Array item = Napi::Array::New(env, 2);
    item.Set(0u, Num(env, p->if_index));
    item.Set(1u, Napi::String::New(env, p->if_name != nullptr ? p->if_name : ""));
    out.Set(n++, item);
  }
  if_freenameindex(list);
  return out;
}

// ifNametoindex(name) -> index, or -errno (ENODEV when the system gives no errno)
Napi::Value IfNametoindex(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  errno = 0;
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Num(info.Env(), -(errno != 0 ? errno : ENODEV));
  return Num(info.Env(), index);
}

// ifIndextoname(index) -> name, or -errno
Napi::Value IfIndextoname(const Napi::CallbackInfo& info) {
  char name[IF_NAMESIZE + 1] = "";
  errno = 0;
  if (if_indextoname(UintArg(info, 0), name) == nullptr) return Num(info.Env(), -(errno != 0 ? errno : ENXIO));
  return Napi::String::New(info.Env(), name);
}

}  // namespace

void RegisterInterfaces(Napi::Env env, Napi::Object exports) {
  exports.Set("ifNameindex", Napi::Function::New(env, IfNameindex, "ifNameindex"));
  exports.Set("ifNametoindex", Napi::Function::New(env, IfNametoindex, "ifNametoindex"));
  exports.Set("ifIndextoname", Napi::Function::New(env, IfIndextoname, "ifIndextoname"));
}

}  // namespace bsd
