#include "common.h"

namespace bsd {

void RegisterMessages(Napi::Env env, Napi::Object exports) {}

}  // namespace bsd
