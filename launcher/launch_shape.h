// SPDX-License-Identifier: Apache-2.0
// The start-up variant of one run, decided once before the first side effect and never changed:
// where the container process enters its cgroups, when the parent makes them, which namespaces
// clone makes and which the child unshares itself, and whether the "go" byte can be written
// before clone. sequence.cc's launch() and child steps read only this value, and --dry-run
// prints it (describe()), so a dry run shows exactly the variant the real run takes.
#pragma once

#include <string>

#include "launcher/cgroup/cgroup.h"
#include "plan/plan.h"

namespace launcher {

// How the container process gets into its cgroups (ContainerCgroup's promise at prepare time).
enum class CgroupEntry {
  None,            // no cgroup for this run (rootless without limits)
  ParentAttaches,  // the parent writes the child's pid into cgroup.procs after clone
  ChildJoins,      // v1: the child writes "0" into each hierarchy's tasks itself
  CloneInto,       // v2: clone3(CLONE_INTO_CGROUP) places it there at birth
};

CgroupEntry cgroup_entry_of(const ContainerCgroup* cgroup);

struct LaunchShapeInputs {
  unsigned long long namespace_flags = 0;  // CLONE_NEW* of the plan (plus CLONE_NEWUSER rootless)
  bool veth = false;                       // veth or user (pasta): the parent connects the child before release
  CgroupEntry cgroups = CgroupEntry::None;
};

struct LaunchShape {
  const CgroupEntry cgroup_entry;
  const bool userns;  // CLONE_NEWUSER: the parent writes the id maps before release
  // The parent makes the cgroups after clone, while the child mounts; the child then waits for
  // release late, right before it joins them and pivots (v1 without user namespace or veth).
  const bool cgroups_after_clone;
  // A cgroup namespace made by clone would be rooted at plan-exec's own cgroup whenever the
  // child is not born in its cgroup: the child unshares it itself once it sits there.
  const bool cgroup_namespace_after_attach;
  // With cgroups_after_clone: the child unshares its net namespace itself, on its CPU while the
  // parent makes the cgroups, instead of clone3 making it on the parent's path.
  const bool net_namespace_in_child;
  // The parent has nothing to do between clone and release (no id maps, no attach by pid, no
  // veth): the "go" byte is written before clone, so the child never sleeps on it.
  const bool release_early;
  // What clone gets: namespace_flags without those the child unshares itself
  // (CLONE_INTO_CGROUP is added by clone_child when cgroup_entry is CloneInto).
  const unsigned long long clone_flags;

  bool child_waits_late() const { return cgroups_after_clone; }
  bool child_joins_cgroup() const { return cgroup_entry == CgroupEntry::ChildJoins; }
  bool parent_attaches() const { return cgroup_entry == CgroupEntry::ParentAttaches; }
  bool clone_into_cgroup() const { return cgroup_entry == CgroupEntry::CloneInto; }
  // One line for --dry-run, e.g. "cgroups after clone, child joins v1 cgroups, net namespace in
  // child, cgroup namespace after attach, release after clone".
  std::string describe() const;
};

// Pure: the same inputs give the same shape in a dry run and a real run.
LaunchShape decide_launch_shape(const LaunchShapeInputs& in);
// The inputs as plan-exec has them after prepare (namespace_flags from clone_flags()).
LaunchShape decide_launch_shape(const plan::Plan& plan, unsigned long long namespace_flags,
                                const ContainerCgroup* cgroup);

}  // namespace launcher
