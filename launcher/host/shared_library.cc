// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/shared_library.h"

#include <dlfcn.h>

namespace launcher {

void* open_library(const LibraryNeed& need) {
  void* handle = ::dlopen(need.soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    throw StepError(need.step, std::string("load ") + need.soname + " to " + need.purpose + ": " +
                                   (why ? why : "dlopen failed") + " (install " + need.package + ")");
  }
  return handle;
}

void* library_symbol(void* handle, const LibraryNeed& need, const char* name) {
  void* address = ::dlsym(handle, name);
  if (!address) throw StepError(need.step, std::string(need.soname) + " lacks " + name + "; install " + need.package);
  return address;
}

}  // namespace launcher
