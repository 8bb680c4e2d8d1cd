// SPDX-License-Identifier: Apache-2.0
// Files planted for another user in the instance registry. A rootless user's registry is
// $XDG_RUNTIME_DIR/plan-exec; where that directory is shared (a runtime dir under /tmp, a
// misconfigured login), another user can make `plan-exec` first and plant a record in it. A
// record names processes by pid and start time, so a planted one naming the victim's own
// process turns the victim's `plan-exec stop web` into a SIGTERM of that process (and `exec` into
// joining namespaces of the attacker's choice). plan-exec refuses a registry directory that is
// not the caller's own ("registry-owner") and, in its own directory, a record file that is not
// ("registry-record-owner": a directory the caller once left open to others may hold files
// planted then). Each control run switches the defences that stand in the way off: the victim's
// stop then kills its own unrelated process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include "launcher/host/process_stat.h"
#include "launcher/registry/instance_record.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace {

using testsupport::ProcessOptions;
using testsupport::ProcessResult;

constexpr uid_t kVictim = static_cast<uid_t>(testsupport::kNobody);
constexpr uid_t kAttacker = static_cast<uid_t>(testsupport::kNobody - 1);

// The victim's unrelated process: a sleep of its own, reparented away from the test so that
// nothing here reaps it early; killed by pid (and start time) when the test ends.
class VictimProcess {
 public:
  VictimProcess() {
    ProcessOptions as_victim;
    as_victim.run_as_uid = static_cast<int>(kVictim);
    const ProcessResult r = testsupport::run_process({"/bin/sh", "-c", "sleep 100 >/dev/null 2>&1 & echo $!"}, as_victim);
    pid_ = static_cast<pid_t>(std::atoi(r.out.c_str()));
    if (pid_ > 0) start_ = launcher::process_start_time(pid_).value_or(0);
  }
  ~VictimProcess() {
    if (alive()) ::kill(pid_, SIGKILL);
  }
  pid_t pid() const { return pid_; }
  std::uint64_t start() const { return start_; }
  // Still the process we started (same pid and start time), and not a zombie.
  bool alive() const {
    if (pid_ <= 0 || launcher::process_start_time(pid_) != start_) return false;
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
  }
  // Polls for up to `ms` for the process to end.
  bool ends_within(int ms) const {
    for (int waited = 0; alive() && waited < ms; waited += 20) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return !alive();
  }

 private:
  pid_t pid_ = -1;
  std::uint64_t start_ = 0;
};

// Who made the registry directory: the attacker, or the victim itself with a mode that let
// the attacker in (0777). Either way the record file in it is the attacker's.
enum class Made { ByAttacker, ByVictimLeftOpen };

// A runtime directory open to all (mode 1777, like /tmp) holding `plan-exec`, in which the
// attacker wrote a record named "web" that points at the victim's process.
class PlantedRegistry {
 public:
  PlantedRegistry(const VictimProcess& victim, Made made) : scratch_("security-registry") {
    runtime_ = scratch_ / "run";
    ::mkdir(runtime_.c_str(), 0755);
    ::chmod(runtime_.c_str(), 01777);
    const std::string registry = runtime_ + "/plan-exec";
    ::mkdir(registry.c_str(), 0777);
    ::chmod(registry.c_str(), 0777);
    launcher::InstanceRecord record;
    record.name = "web";
    record.plan_path = "/srv/web.plan";
    record.plan_sha256 = std::string(64, '0');
    record.pid = record.container_pid = victim.pid();
    record.pid_start = record.container_start = victim.start();
    record.started = static_cast<std::int64_t>(std::time(nullptr));
    record.command = {"/srv/web"};
    const std::string file = registry + "/" + std::to_string(victim.pid()) + ".json";
    std::ofstream(file) << launcher::record_to_json(record);
    // What the users' own mkdir and write would leave.
    const uid_t dir_owner = made == Made::ByAttacker ? kAttacker : kVictim;
    ::chown(registry.c_str(), dir_owner, dir_owner);
    ::chown(file.c_str(), kAttacker, kAttacker);
  }
  // The victim running plan-exec with this runtime directory, with `disabled` defences off.
  ProcessOptions as_victim(const std::string& disabled = "") const {
    ProcessOptions options;
    options.run_as_uid = static_cast<int>(kVictim);
    options.env.push_back("XDG_RUNTIME_DIR=" + runtime_);
    if (!disabled.empty()) options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + disabled);
    return options;
  }

 private:
  testsupport::ScratchDir scratch_;
  std::string runtime_;
};

class SecurityRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: plants files as one user and runs plan-exec as another";
  }
};

TEST_F(SecurityRegistry, ARegistryAnotherUserMadeIsRefusedAndItsRecordsAreNotBelieved) {
  const VictimProcess victim;
  ASSERT_TRUE(victim.alive()) << "the victim's sleep did not start";
  const PlantedRegistry planted(victim, Made::ByAttacker);

  const ProcessResult stop = testsupport::run_plan_exec({"stop", "web"}, planted.as_victim());
  EXPECT_EQ(stop.exit_code, 125) << stop.summary();
  EXPECT_NE(stop.err.find("belongs to uid " + std::to_string(kAttacker)), std::string::npos) << stop.summary();
  EXPECT_FALSE(victim.ends_within(300)) << "stop signalled the victim's own process\n" << stop.summary();

  const ProcessResult ps = testsupport::run_plan_exec({"ps"}, planted.as_victim());
  EXPECT_NE(ps.exit_code, 0) << ps.summary();
  EXPECT_EQ(ps.out.find("web"), std::string::npos) << ps.summary();
}

TEST_F(SecurityRegistry, ARecordAnotherUserPlantedInTheCallersOpenRegistryIsRefused) {
  const VictimProcess victim;
  ASSERT_TRUE(victim.alive()) << "the victim's sleep did not start";
  const PlantedRegistry planted(victim, Made::ByVictimLeftOpen);

  const ProcessResult stop = testsupport::run_plan_exec({"stop", "web"}, planted.as_victim());
  EXPECT_EQ(stop.exit_code, 125) << stop.summary();
  EXPECT_NE(stop.err.find("no running container is named web"), std::string::npos) << stop.summary();
  EXPECT_FALSE(victim.ends_within(300)) << "stop signalled the victim's own process\n" << stop.summary();

  const ProcessResult ps = testsupport::run_plan_exec({"ps"}, planted.as_victim());
  EXPECT_EQ(ps.out.find("/srv/web"), std::string::npos) << ps.summary();
}

// The controls: with the checks that stand in the way off, the planted record is believed and
// the victim's own stop kills the victim's unrelated process.
TEST_F(SecurityRegistry, ControlWithoutTheOwnerChecksTheVictimsStopKillsItsOwnProcess) {
  const VictimProcess victim;
  ASSERT_TRUE(victim.alive()) << "the victim's sleep did not start";
  const PlantedRegistry planted(victim, Made::ByAttacker);

  const ProcessResult stop =
      testsupport::run_plan_exec({"stop", "web"}, planted.as_victim("registry-owner,registry-record-owner"));
  EXPECT_TRUE(victim.ends_within(5000)) << "the planted record was not believed\n" << stop.summary();
  EXPECT_EQ(stop.exit_code, 0) << stop.summary();
}

TEST_F(SecurityRegistry, ControlWithoutTheRecordOwnerCheckAPlantedRecordIsBelieved) {
  const VictimProcess victim;
  ASSERT_TRUE(victim.alive()) << "the victim's sleep did not start";
  const PlantedRegistry planted(victim, Made::ByVictimLeftOpen);

  const ProcessResult stop = testsupport::run_plan_exec({"stop", "web"}, planted.as_victim("registry-record-owner"));
  EXPECT_TRUE(victim.ends_within(5000)) << "the planted record was not believed\n" << stop.summary();
  EXPECT_EQ(stop.exit_code, 0) << stop.summary();
}

}  // namespace
