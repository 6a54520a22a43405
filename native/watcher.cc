#include "common.h"

namespace bsd {

void RegisterWatcher(Napi::Env env, Napi::Object exports) {}

}  // namespace bsd
