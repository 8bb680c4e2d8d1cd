// SPDX-License-Identifier: Apache-2.0
// A shared library plan-exec opens only when a plan needs it. plan-exec is static, and linking
// libarchive or libnftables would bring their dependencies (libxml2, ICU, ...) into every start;
// dlopen() keeps that cost to the runs that unpack an archive or publish a port.
#pragma once

#include <string>

#include "launcher/host/error.h"

namespace launcher {

// What the library is and, for the messages, who needs it and which package provides it.
struct LibraryNeed {
  const char* soname;   // "libarchive.so.13"
  const char* step;     // the StepError's step: "rootfs"
  const char* purpose;  // "unpack the rootfs archive"
  const char* package;  // "the Debian package libarchive13"
};

// dlopen(need.soname) for good (the handle is never closed: a library's functions stay in use
// for the whole run); throws StepError "load <soname> to <purpose>: <dlerror> (install <package>)".
void* open_library(const LibraryNeed& need);

// The address of `name` in `handle`; throws StepError "<soname> lacks <name>; install <package>".
void* library_symbol(void* handle, const LibraryNeed& need, const char* name);

// library_symbol() into a typed function pointer.
template <typename Function>
void resolve_symbol(void* handle, const LibraryNeed& need, const char* name, Function& out) {
  out = reinterpret_cast<Function>(library_symbol(handle, need, name));
}

}  // namespace launcher
