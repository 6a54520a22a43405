// The addon's entry point: it only registers each concern's functions.
#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  bsd::RegisterErrors(env, exports);
  bsd::RegisterAddresses(env, exports);
  bsd::RegisterSockets(env, exports);
  bsd::RegisterOptions(env, exports);
  bsd::RegisterConstants(env, exports);
  bsd::RegisterWatcher(env, exports);
  bsd::RegisterPollThread(env, exports);
  bsd::RegisterUring(env, exports);
  bsd::RegisterSelect(env, exports);
  bsd::RegisterMessages(env, exports);
  bsd::RegisterResolution(env, exports);
  bsd::RegisterHosts(env, exports);
  bsd::RegisterNetdb(env, exports);
  bsd::RegisterInet(env, exports);
  bsd::RegisterInterfaces(env, exports);
  bsd::RegisterCmsg(env, exports);
  bsd::RegisterFeatures(env, exports);
  bsd::RegisterSendfile(env, exports);
  bsd::RegisterEpoll(env, exports);
  bsd::RegisterKqueue(env, exports);
  return exports;
}

NODE_API_MODULE(bsd_sockets, Init)
