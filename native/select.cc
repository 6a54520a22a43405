#include "common.h"

namespace bsd {

void RegisterSelect(Napi::Env env, Napi::Object exports) {}

}  // namespace bsd
