// SPDX-License-Identifier: Apache-2.0
// filter_cost: how many BPF instructions a seccomp filter executes per syscall, for
// libseccomp's linear layout (optimize=1), its binary tree (optimize=2) and our generator,
// on Docker's and Podman's default profiles. Syscalls cost about 1 us in our VMs and timing
// is noisy, so we count instructions in the interpreter (compiler/bpf/bpf_interp.h).
//
//   filter_cost [--profile docker.json]... [--mix mix.tsv]
//
// Columns: worst = most instructions over every x86_64 syscall and edge argument values;
// mean = over every x86_64 syscall with arguments 0; weighted = the mean weighted by the mix;
// cache = always-allowed syscalls the kernel's seccomp cache skips (of all always-allowed);
// x32 worst / i386 worst = the same worst case over x32 numbers (nr | 0x40000000) and i386
// calls (explain.h), when the filter allows them: our search tree lets x32 numbers go deeper
// than native ones (codegen_tree.h), and these columns keep that visible.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/backend/backend.h"
#include "compiler/bpf/explain.h"
#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen.h"
#include "compiler/docker/import.h"
#include "compiler/driver/import_filter.h"
#include "compiler/libseccomp/libseccomp_backend.h"
#include "compiler/lower/lower_seccomp.h"
#include "compiler/parse/parse.h"

namespace {

using namespace policyc;

void print_row(const char* layout, const std::vector<sock_filter>& program, const seccomp::FrequencyProfile& mix,
               bool x32, bool i386) {
  if (program.empty()) {
    std::printf("  %-26s (refused)\n", layout);
    return;
  }
  const seccomp::FilterCost cost = seccomp::measure_filter(program, mix);
  const std::string x32_column = x32 ? std::to_string(cost.x32_worst) : "-";
  const std::string i386_column = i386 ? std::to_string(cost.i386_worst) : "-";
  std::printf("  %-26s %6zu %6zu %7.2f %9.2f   %zu/%zu %9s %10s\n", layout, cost.instructions, cost.worst, cost.mean,
              cost.weighted, cost.cache_allowed, cost.allowed_arg_free, x32_column.c_str(), i386_column.c_str());
}

void measure(const std::string& title, const seccomp::Filter& filter, const seccomp::FrequencyProfile& mix) {
  std::printf("%s\n  %-26s %6s %6s %7s %9s   %-7s %9s %10s\n", title.c_str(), "layout", "insns", "worst", "mean",
              "weighted", "cache", "x32 worst", "i386 worst");
  auto allows = [&](const char* arch) {
    return std::find(filter.arches.begin(), filter.arches.end(), arch) != filter.arches.end();
  };
  const bool x32 = allows("x32"), i386 = allows("x86");
  Diagnostics diags;
  print_row("libseccomp optimize=1", seccomp::compile_libseccomp(filter, diags, 1), mix, x32, i386);
  print_row("libseccomp optimize=2", seccomp::compile_libseccomp(filter, diags, 2), mix, x32, i386);
  print_row("policyc", seccomp::generate_policyc(filter, diags, &mix), mix, x32, i386);
  diags.render(std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> profiles;
  std::string mix_path = std::string(SHARED_TESTDATA_DIR) + "/syscall-mix/tar-python.tsv";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--profile") && i + 1 < argc) profiles.push_back(argv[++i]);
    else if (!std::strcmp(argv[i], "--mix") && i + 1 < argc) mix_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: filter_cost [--profile docker.json]... [--mix name-count.tsv]\n");
      return 2;
    }
  }
  if (profiles.empty()) {
    profiles = {std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json",
                std::string(SHARED_TESTDATA_DIR) + "/seccomp/containers-common.json"};
  }
  Diagnostics diags;
  const std::optional<seccomp::FrequencyProfile> mix = seccomp::load_frequency_profile(mix_path, diags);
  if (!mix) {
    diags.render(std::cerr);
    return 2;
  }
  std::printf("BPF instructions executed per syscall (mix: %s)\n\n", mix_path.c_str());
  for (const std::string& path : profiles) {
    Diagnostics import_diags;
    std::optional<seccomp::Filter> filter = import_filter_file(path, {}, import_diags);
    if (!filter) {
      import_diags.render(std::cerr);
      return 2;
    }
    // The profile's own arches (Docker's on amd64: x86_64, x86, x32), then native only.
    auto& arches = filter->arches;
    const std::string name = path.substr(path.find_last_of('/') + 1);
    std::string listed;
    for (const auto& arch : arches) listed += (listed.empty() ? "" : " ") + arch;
    measure(name + " (arches " + listed + ", " + std::to_string(filter->rules.size()) + " rules)", *filter, *mix);
    arches = {"x86_64"};
    measure(name + " (arch x86_64 only)", *filter, *mix);
    std::printf("\n");
  }
  return 0;
}
