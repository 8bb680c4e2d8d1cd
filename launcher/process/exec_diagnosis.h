// SPDX-License-Identifier: Apache-2.0
// Why an execve failed with ENOENT although the file is there: the kernel says "No such file
// or directory" when the program's ELF interpreter (PT_INTERP, the dynamic loader) or its
// script's #! interpreter is missing, which names the wrong file. The parent, after the
// child's exec failed, reads the program in the rootfs tree and names the missing one:
//   /home/stress needs /lib64/ld-linux-x86-64.so.2, which is not in the rootfs
// (A shared library that is missing is the loader's to report: it runs and says which.)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace launcher {

struct Interpreter {
  std::string path;
  bool script = false;  // from a "#!" line; else the ELF's PT_INTERP
};

// The interpreter the kernel would load for the file open at `fd` (readable, not O_PATH):
// nullopt for a static ELF, a file that is neither ELF nor script, or a malformed one.
// Only ELF files of this machine's byte order are read (others fail with ENOEXEC, not ENOENT).
std::optional<Interpreter> read_interpreter(int fd);

// "" when no missing interpreter explains the ENOENT. `root` is the rootfs tree as the parent
// sees it ("/" without a rootfs), `program` the absolute path inside it. Symlinks resolve
// inside `root`. Follows a script's interpreter to its own loader (#!/bin/sh, /bin/sh dynamic).
std::string explain_missing_interpreter(const std::string& root, const std::string& program);

// The files execve opens to start `program` (inside `root`): the program, then each interpreter
// in turn (a script's #! interpreter, an ELF's loader), as far as they exist; at most 5.
std::vector<std::string> exec_chain(const std::string& root, const std::string& program);

}  // namespace launcher
