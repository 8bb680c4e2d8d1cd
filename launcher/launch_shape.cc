// SPDX-License-Identifier: Apache-2.0
#include "launcher/launch_shape.h"

#include <linux/sched.h>
#include <sched.h>

namespace launcher {

CgroupEntry cgroup_entry_of(const ContainerCgroup* cgroup) {
  if (!cgroup) return CgroupEntry::None;
  if (cgroup->clone_into_cgroup()) return CgroupEntry::CloneInto;
  if (cgroup->joins_from_child()) return CgroupEntry::ChildJoins;
  return CgroupEntry::ParentAttaches;
}

LaunchShape decide_launch_shape(const LaunchShapeInputs& in) {
  const bool userns = (in.namespace_flags & CLONE_NEWUSER) != 0;
  // Measured: making the cgroups and forking the cleanup watcher after clone, while the child
  // mounts on the other CPU, takes 0.5-0.9 ms off the start path. Only when the child joins by
  // itself and needs nothing else from the parent before its mounts (no maps, no veth).
  const bool after_clone = in.cgroups == CgroupEntry::ChildJoins && !userns && !in.veth;
  const bool cgroupns_late = in.cgroups != CgroupEntry::None && in.cgroups != CgroupEntry::CloneInto &&
                             (in.namespace_flags & CLONE_NEWCGROUP) != 0;
  // Creating a net namespace is the dearest part of clone3 here (0.5 ms).
  const bool netns_in_child = after_clone && (in.namespace_flags & CLONE_NEWNET) != 0;
  const bool release_early =
      !userns && (in.cgroups == CgroupEntry::None || in.cgroups == CgroupEntry::CloneInto) && !in.veth;
  const unsigned long long flags = in.namespace_flags & ~(cgroupns_late ? CLONE_NEWCGROUP : 0ULL) &
                                   ~(netns_in_child ? CLONE_NEWNET : 0ULL);
  return LaunchShape{in.cgroups, userns, after_clone, cgroupns_late, netns_in_child, release_early, flags};
}

LaunchShape decide_launch_shape(const plan::Plan& plan, unsigned long long namespace_flags,
                                const ContainerCgroup* cgroup) {
  return decide_launch_shape(
      {namespace_flags, plan.network.mode == plan::NetworkMode::Veth || plan.network.mode == plan::NetworkMode::User,
       cgroup_entry_of(cgroup)});
}

std::string LaunchShape::describe() const {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  switch (cgroup_entry) {
    case CgroupEntry::None: add("no cgroups"); break;
    case CgroupEntry::ParentAttaches: add("parent attaches the cgroups by pid"); break;
    case CgroupEntry::ChildJoins: add("child joins v1 cgroups"); break;
    case CgroupEntry::CloneInto: add("clone into cgroup (CLONE_INTO_CGROUP)"); break;
  }
  if (cgroup_entry != CgroupEntry::None) add(cgroups_after_clone ? "cgroups after clone" : "cgroups before clone");
  if (userns) add("parent writes the id maps");
  if (net_namespace_in_child) add("net namespace in child");
  if (cgroup_namespace_after_attach) add("cgroup namespace after attach");
  add(release_early ? "release before clone"
                    : child_waits_late() ? "child waits late (after its mounts)" : "release after clone");
  return text;
}

}  // namespace launcher
