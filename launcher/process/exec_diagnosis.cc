// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/exec_diagnosis.h"

#include <elf.h>
#include <endian.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "launcher/host/kernel.h"
#include "launcher/host/safe_path.h"

namespace launcher {

namespace {

constexpr std::size_t kMaxInterpreter = 4096;  // PATH_MAX: no loader path is longer

bool read_at(int fd, void* into, std::size_t size, std::uint64_t offset) {
  const ssize_t n = ::pread(fd, into, size, static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(size);
}

// "#!/bin/sh -e" -> "/bin/sh" (the kernel's rules: blanks after #!, the path ends at a blank).
std::optional<Interpreter> script_interpreter(int fd) {
  char line[256] = {};
  const ssize_t n = ::pread(fd, line, sizeof line - 1, 0);
  if (n < 2 || line[0] != '#' || line[1] != '!') return std::nullopt;
  std::size_t start = 2;
  while (start < static_cast<std::size_t>(n) && (line[start] == ' ' || line[start] == '\t')) ++start;
  std::size_t end = start;
  while (end < static_cast<std::size_t>(n) && line[end] != ' ' && line[end] != '\t' && line[end] != '\n' &&
         line[end] != '\0') {
    ++end;
  }
  if (end == start) return std::nullopt;
  return Interpreter{std::string(line + start, end - start), true};
}

template <class Ehdr, class Phdr>
std::optional<Interpreter> elf_interpreter(int fd) {
  Ehdr header{};
  if (!read_at(fd, &header, sizeof header, 0) || header.e_phentsize != sizeof(Phdr)) return std::nullopt;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Phdr ph{};
    if (!read_at(fd, &ph, sizeof ph, header.e_phoff + std::uint64_t{i} * sizeof ph)) return std::nullopt;
    if (ph.p_type != PT_INTERP) continue;
    if (ph.p_filesz < 2 || ph.p_filesz > kMaxInterpreter) return std::nullopt;
    std::string path(static_cast<std::size_t>(ph.p_filesz), '\0');
    if (!read_at(fd, path.data(), path.size(), ph.p_offset)) return std::nullopt;
    path.resize(std::strlen(path.c_str()));  // NUL-terminated in the file
    if (path.empty()) return std::nullopt;
    return Interpreter{path, false};
  }
  return std::nullopt;  // static
}

// A readable descriptor of `path` inside `root` (symlinks resolved inside it), or -1.
Fd open_readable_in_root(const std::string& root, const std::string& path) {
  Fd located = open_in_root(real_kernel(), root, path);
  if (!located) return Fd();
  return Fd(::open(fd_path(located).c_str(), O_RDONLY | O_CLOEXEC));
}

std::string where(const std::string& root) { return root == "/" ? "does not exist" : "is not in the rootfs"; }

}  // namespace

std::optional<Interpreter> read_interpreter(int fd) {
  unsigned char ident[EI_NIDENT] = {};
  if (!read_at(fd, ident, sizeof ident, 0)) return script_interpreter(fd);
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) return script_interpreter(fd);
  const unsigned char native = __BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB;
  if (ident[EI_DATA] != native) return std::nullopt;
  if (ident[EI_CLASS] == ELFCLASS64) return elf_interpreter<Elf64_Ehdr, Elf64_Phdr>(fd);
  if (ident[EI_CLASS] == ELFCLASS32) return elf_interpreter<Elf32_Ehdr, Elf32_Phdr>(fd);
  return std::nullopt;
}

std::string explain_missing_interpreter(const std::string& root, const std::string& program) {
  std::string chain = program;  // "/x.sh runs /bin/sh, which" ...
  std::string current = program;
  for (int depth = 0; depth < 4; ++depth) {  // the kernel's own limit of nested interpreters
    Fd fd = open_readable_in_root(root, current);
    if (!fd) return "";
    const auto interpreter = read_interpreter(fd.get());
    if (!interpreter) return "";
    const std::string what = interpreter->script ? " (its #! interpreter)"
                                                 : " (its ELF interpreter: copy it and the libraries the program needs "
                                                   "into the rootfs, or link the program statically)";
    if (!open_in_root(real_kernel(), root, interpreter->path)) {
      return chain + " needs " + interpreter->path + ", which " + where(root) + what;
    }
    if (!interpreter->script) return "";  // the loader is there: ENOENT came from elsewhere
    chain += ", whose interpreter " + interpreter->path + ",";
    current = interpreter->path;
  }
  return "";
}

std::vector<std::string> exec_chain(const std::string& root, const std::string& program) {
  std::vector<std::string> chain = {program};
  for (int depth = 0; depth < 4; ++depth) {  // the kernel's own limit of nested interpreters
    Fd fd = open_readable_in_root(root, chain.back());
    if (!fd) break;
    const auto interpreter = read_interpreter(fd.get());
    if (!interpreter) break;
    chain.push_back(interpreter->path);
  }
  return chain;
}

}  // namespace launcher
