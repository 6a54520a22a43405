#include "common.h"

namespace bsd {

void RegisterResolution(Napi::Env env, Napi::Object exports) {}

}  // namespace bsd
