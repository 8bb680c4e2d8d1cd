// SPDX-License-Identifier: Apache-2.0
// Naming the missing interpreter behind an exec's ENOENT: the ELF's PT_INTERP and a script's
// #! line read from files, and the message for a rootfs that lacks them.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "launcher/host/safe_path.h"
#include "launcher/process/exec_diagnosis.h"
#include "tests/support/rootfs.h"

using namespace launcher;
using testsupport::ScratchDir;
namespace fs = std::filesystem;

namespace {

// A minimal 64-bit ELF executable of this machine's byte order: a header, one PT_INTERP
// program header, and the interpreter's NUL-terminated path (no PT_INTERP when it is "").
std::string elf_with_interpreter(const std::string& interpreter) {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof header;
  header.e_phoff = sizeof header;
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = interpreter.empty() ? 0 : 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_INTERP;
  ph.p_offset = sizeof header + sizeof ph;
  ph.p_filesz = interpreter.size() + 1;
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  if (!interpreter.empty()) {
    bytes.append(reinterpret_cast<const char*>(&ph), sizeof ph);
    bytes.append(interpreter.c_str(), interpreter.size() + 1);
  }
  return bytes;
}

std::optional<Interpreter> interpreter_of(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return read_interpreter(fd.get());
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  testsupport::write_text(path, text);
}

TEST(ExecDiagnosis, ReadsTheElfInterpreterAndTheShebang) {
  ScratchDir scratch("exec-diagnosis-read");
  write_file(scratch / "dynamic", elf_with_interpreter("/lib64/ld-linux-x86-64.so.2"));
  auto elf = interpreter_of(scratch / "dynamic");
  ASSERT_TRUE(elf);
  EXPECT_EQ(elf->path, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_FALSE(elf->script);

  write_file(scratch / "static", elf_with_interpreter(""));
  EXPECT_FALSE(interpreter_of(scratch / "static")) << "no PT_INTERP: nothing to load";
  const std::string truncated = elf_with_interpreter("/lib/ld.so");
  write_file(scratch / "truncated", truncated.substr(0, truncated.size() - 8));
  EXPECT_FALSE(interpreter_of(scratch / "truncated"));

  write_file(scratch / "script", "#! /usr/bin/env -S python3 -u\nprint(1)\n");
  auto script = interpreter_of(scratch / "script");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->path, "/usr/bin/env");
  EXPECT_TRUE(script->script);
  write_file(scratch / "plain", "just text\n");
  EXPECT_FALSE(interpreter_of(scratch / "plain"));
  write_file(scratch / "bare", "#!\n");
  EXPECT_FALSE(interpreter_of(scratch / "bare"));
}

// Real files of this build: the (dynamic) test binary names a loader that exists; the static
// test programs name none.
TEST(ExecDiagnosis, RealBinaries) {
  auto self = interpreter_of("/proc/self/exe");
  ASSERT_TRUE(self) << "this test binary is linked dynamically";
  EXPECT_TRUE(fs::exists(self->path)) << self->path;
  EXPECT_FALSE(interpreter_of(std::string(TEST_PROGRAMS_DIR) + "/stress")) << "a static program";
}

TEST(ExecDiagnosis, NamesTheMissingLoaderOrScriptInterpreter) {
  ScratchDir scratch("exec-diagnosis-root");
  const std::string root = scratch / "root";
  write_file(root + "/home/prog", elf_with_interpreter("/lib/ld-test.so"));
  EXPECT_EQ(explain_missing_interpreter(root, "/home/prog"),
            "/home/prog needs /lib/ld-test.so, which is not in the rootfs (its ELF interpreter: copy it and the "
            "libraries the program needs into the rootfs, or link the program statically)");
  write_file(root + "/lib/ld-test.so", "");
  EXPECT_EQ(explain_missing_interpreter(root, "/home/prog"), "") << "the loader is there";

  write_file(root + "/home/run.sh", "#!/bin/sh\necho hi\n");
  EXPECT_EQ(explain_missing_interpreter(root, "/home/run.sh"),
            "/home/run.sh needs /bin/sh, which is not in the rootfs (its #! interpreter)");
  // /bin/sh is there but dynamic, and its own loader is missing.
  write_file(root + "/bin/sh", elf_with_interpreter("/lib/ld-musl-x86_64.so.1"));
  EXPECT_EQ(explain_missing_interpreter(root, "/home/run.sh"),
            "/home/run.sh, whose interpreter /bin/sh, needs /lib/ld-musl-x86_64.so.1, which is not in the rootfs "
            "(its ELF interpreter: copy it and the libraries the program needs into the rootfs, or link the "
            "program statically)");

  // Symlinks resolve inside the rootfs: an absolute link to the host's loader does not count.
  fs::create_symlink("/proc/self/exe", root + "/home/link");
  EXPECT_EQ(explain_missing_interpreter(root, "/home/link"), "") << "the target is not in the rootfs at all";
  EXPECT_EQ(explain_missing_interpreter(root, "/home/missing"), "");
  // Without a rootfs the host's tree is the root.
  write_file(scratch / "host-prog", elf_with_interpreter("/nonexistent/ld.so"));
  EXPECT_EQ(explain_missing_interpreter("/", scratch / "host-prog").rfind(scratch / "host-prog needs /nonexistent/ld.so, which does not exist", 0), 0u);
}

}  // namespace
