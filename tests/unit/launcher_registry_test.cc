// SPDX-License-Identifier: Apache-2.0
// The instance registry (launcher/registry/): records as JSON (strict), liveness by pid AND
// start time, the directory's refusal of anything it did not write (symlinks, foreign owners),
// atomic writes, and --cleanup of stale records. No root needed: a temporary directory stands
// in for /run/plan-exec, and a table of pids stands in for /proc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "launcher/cli.h"
#include "launcher/host/process_stat.h"
#include "launcher/instances/commands.h"
#include "launcher/instances/lookup.h"
#include "launcher/instances/ps.h"
#include "launcher/instances/registration.h"
#include "launcher/instances/exec_target.h"
#include "launcher/registry/registry.h"

namespace launcher_registry_test {

using namespace launcher;
namespace fs = std::filesystem;

InstanceRecord sample_record() {
  InstanceRecord r;
  r.name = "web-2";
  r.plan_path = "/srv/web.plan";
  r.plan_sha256 = std::string(64, 'a');
  r.instance = 2;
  r.pid = 4081;
  r.pid_start = 123456;
  r.container_pid = 4082;
  r.container_start = 123460;
  r.started = 1700000000;
  r.command = {"/home/hello-world", "--port", "80"};
  r.veth = VethRecord{"pe-4081", "eth0", "10.200.2.1/24", "10.200.2.2/24"};
  r.cgroups = {"/sys/fs/cgroup/plan-exec/web-4081"};
  r.namespaces = {"mnt", "pid", "net"};
  return r;
}

// A fresh directory for a test, removed afterwards; the registry lives in <dir>/plan-exec.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "registry-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string registry() const { return path_ + "/plan-exec"; }

 private:
  std::string path_;
};

std::string slurp_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Start times by pid: absent = no such process.
StartTimeOf processes(std::map<pid_t, std::uint64_t> table) {
  return [table](pid_t pid) -> std::optional<std::uint64_t> {
    const auto it = table.find(pid);
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
}

// ---- records ----------------------------------------------------------------------------------

TEST(LauncherRegistry, ARecordSurvivesItsJson) {
  const InstanceRecord r = sample_record();
  EXPECT_EQ(record_from_json(record_to_json(r), "t"), r);
  InstanceRecord no_veth = r;
  no_veth.veth.reset();
  no_veth.cgroups.clear();
  EXPECT_EQ(record_from_json(record_to_json(no_veth), "t"), no_veth);
}

TEST(LauncherRegistry, ParsingIsStrictAndNamesTheFileAndTheKey) {
  const std::string good = record_to_json(sample_record());
  auto expect_refused = [](const std::string& text, const std::string& words) {
    try {
      record_from_json(text, "/run/plan-exec/1.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const RegistryError& e) {
      EXPECT_NE(std::string(e.what()).find("/run/plan-exec/1.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  auto edited = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto j = nlohmann::json::parse(good);
    edit(j);
    return j.dump();
  };
  expect_refused("{", "not valid JSON");
  expect_refused(edited([](auto& j) { j["extra"] = 1; }), "record.extra is not a key");
  expect_refused(edited([](auto& j) { j.erase("pid"); }), "record.pid is missing");
  expect_refused(edited([](auto& j) { j["pid"] = "4081"; }), "record.pid is not an integer");
  expect_refused(edited([](auto& j) { j["pid"] = 0; }), "record.pid is out of range");
  expect_refused(edited([](auto& j) { j["pid"] = 1ll << 40; }), "record.pid is out of range");
  expect_refused(edited([](auto& j) { j["version"] = 2; }), "record.version is not 1");
  expect_refused(edited([](auto& j) { j["plan"] = "web.plan"; }), "record.plan is not an absolute path");
  expect_refused(edited([](auto& j) { j["cgroups"] = {"relative"}; }), "record.cgroups holds \"relative\"");
  expect_refused(edited([](auto& j) { j["namespaces"] = {"mnt", "bogus"}; }), "unknown namespace \"bogus\"");
  expect_refused(edited([](auto& j) { j["veth"]["mac"] = "x"; }), "record.veth.mac is not a key");
  // A key given twice: a reader would see one value, the parser another.
  std::string twice = good;
  twice.insert(twice.find('{') + 1, "\"name\": \"other\",");
  expect_refused(twice, "duplicate key");
}

TEST(LauncherRegistry, NamespaceNamesAreThoseOfProcPidNs) {
  const auto names = namespace_names(namespace_flags({"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}));
  EXPECT_EQ(names, (std::vector<std::string>{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}));
  EXPECT_EQ(namespace_flags({}), 0u);
}

TEST(LauncherRegistry, InstanceNamesCarryTheInstanceNumber) {
  EXPECT_EQ(instance_name("web", 0), "web");
  EXPECT_EQ(instance_name("web", 3), "web-3");
}

// ---- liveness --------------------------------------------------------------------------------

TEST(LauncherRegistry, AStaleRecordIsOneWhosePidIsGoneOrReused) {
  const InstanceRecord r = sample_record();
  EXPECT_EQ(owner_liveness(r, processes({{4081, 123456}})), Liveness::Running);
  EXPECT_EQ(owner_liveness(r, processes({})), Liveness::Gone);
  EXPECT_EQ(owner_liveness(r, processes({{4081, 999999}})), Liveness::PidReused);
  // exec needs the container's process too.
  EXPECT_EQ(container_liveness(r, processes({{4081, 123456}, {4082, 123460}})), Liveness::Running);
  EXPECT_EQ(container_liveness(r, processes({{4081, 123456}})), Liveness::Gone);
  EXPECT_EQ(container_liveness(r, processes({{4081, 123456}, {4082, 7}})), Liveness::PidReused);
  EXPECT_EQ(container_liveness(r, processes({{4082, 123460}})), Liveness::Gone);
}

TEST(LauncherRegistry, TheStartTimeIsField22EvenWithParenthesesInTheName) {
  // comm may hold spaces and ')': fields are counted after the last ')'.
  const std::string line = "4081 (a) b) (c) S 1 4081 4081 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
  EXPECT_EQ(start_time_of_stat_line(line), 987654u);
  EXPECT_EQ(start_time_of_stat_line("4081 (x) S 1 2"), std::nullopt);
  EXPECT_EQ(start_time_of_stat_line("no parenthesis"), std::nullopt);
  EXPECT_EQ(state_of_stat_line(line), 'S');
  EXPECT_EQ(state_of_stat_line("4081 (x)"), '\0');
  EXPECT_EQ(process_start_time(0), std::nullopt);
  const auto self = process_start_time(::getpid());
  ASSERT_TRUE(self);
  EXPECT_LE(*process_start_time(::getppid()), *self) << "a parent starts before its child";
  EXPECT_EQ(live_process_start_time(::getpid()), self);
}

// A process that exited but is not reaped yet still has its /proc/PID/stat: it is not live.
TEST(LauncherRegistry, AZombieIsNotALiveProcess) {
  const pid_t child = ::fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);  // exited, not reaped
  EXPECT_TRUE(process_start_time(child)) << "a zombie keeps its stat";
  EXPECT_EQ(live_process_start_time(child), std::nullopt);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(process_start_time(child), std::nullopt);
}

TEST(LauncherRegistry, RecordFileNames) {
  EXPECT_EQ(record_file_name(4081), "4081.json");
  EXPECT_EQ(pid_of_record_file("4081.json"), 4081);
  EXPECT_EQ(pid_of_record_file(".4081.tmp"), 4081);
  for (const char* other : {"x.json", "0.json", "012.json", ".json", "4081.json.bak", "4081", "..tmp", "-1.json"}) {
    EXPECT_EQ(pid_of_record_file(other), std::nullopt) << other;
  }
}

// ---- the directory ---------------------------------------------------------------------------

TEST(LauncherRegistry, TheDirectoryIsMade0700AndRecordsAre0600) {
  TempDir tmp;
  const RegistryDir dir = RegistryDir::open(tmp.registry(), true);
  ASSERT_TRUE(dir.is_open());
  struct stat st {};
  ASSERT_EQ(::stat(tmp.registry().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  dir.write("4081.json", "one");
  dir.write("4081.json", "two");  // replaced whole, never appended to
  EXPECT_EQ(dir.read("4081.json"), "two");
  ASSERT_EQ(::stat((tmp.registry() + "/4081.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"4081.json"}) << "no temporary is left";
  EXPECT_TRUE(dir.remove("4081.json"));
  EXPECT_FALSE(dir.remove("4081.json"));
}

TEST(LauncherRegistry, AMissingDirectoryIsAnEmptyRegistryForReaders) {
  TempDir tmp;
  const RegistryDir dir = RegistryDir::open(tmp.registry(), false);
  EXPECT_FALSE(dir.is_open());
  EXPECT_TRUE(dir.files().empty());
  EXPECT_FALSE(fs::exists(tmp.registry())) << "a reader creates nothing";
}

TEST(LauncherRegistry, ADirectoryOpenToOthersIsClosedAgain) {
  TempDir tmp;
  ASSERT_EQ(::mkdir(tmp.registry().c_str(), 0777), 0);
  ASSERT_EQ(::chmod(tmp.registry().c_str(), 0777), 0);
  RegistryDir::open(tmp.registry(), true);
  struct stat st {};
  ASSERT_EQ(::stat(tmp.registry().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST(LauncherRegistry, ARegistryThatIsASymlinkIsRefused) {
  TempDir tmp;
  const std::string elsewhere = tmp.path() + "/elsewhere";
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), tmp.registry().c_str()), 0);
  for (bool create : {true, false}) {
    try {
      RegistryDir::open(tmp.registry(), create);
      ADD_FAILURE() << "a symlinked registry was opened";
    } catch (const RegistryError& e) {
      EXPECT_NE(std::string(e.what()).find("is a symlink or no directory"), std::string::npos) << e.what();
    }
  }
}

TEST(LauncherRegistry, ARegistryOfAnotherOwnerIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a directory of another uid";
  TempDir tmp;
  ASSERT_EQ(::mkdir(tmp.registry().c_str(), 0700), 0);
  ASSERT_EQ(::chown(tmp.registry().c_str(), 65534, 65534), 0);
  try {
    RegistryDir::open(tmp.registry(), true);
    ADD_FAILURE() << "a registry of uid 65534 was accepted by root";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("belongs to uid 65534, not to you"), std::string::npos) << e.what();
  }
}

// A symlink planted where a record goes: reading refuses it, writing replaces the link (rename)
// and never writes through it, at the record's name as at its temporary's.
TEST(LauncherRegistry, PlantedSymlinksAreNeitherReadNorWrittenThrough) {
  TempDir tmp;
  const RegistryDir dir = RegistryDir::open(tmp.registry(), true);
  const std::string victim = tmp.path() + "/victim";
  std::ofstream(victim) << "secret";
  ASSERT_EQ(::symlink(victim.c_str(), (tmp.registry() + "/4081.json").c_str()), 0);
  ASSERT_EQ(::symlink(victim.c_str(), (tmp.registry() + "/.4081.tmp").c_str()), 0);
  try {
    dir.read("4081.json");
    ADD_FAILURE() << "read through a symlink";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("it is a symlink"), std::string::npos) << e.what();
  }
  dir.write("4081.json", "record");
  EXPECT_EQ(slurp_file(victim), "secret");
  EXPECT_EQ(dir.read("4081.json"), "record");
  EXPECT_FALSE(dir.is_symlink("4081.json"));
}

TEST(LauncherRegistry, OnlyRegularFilesOfTheCallerAreRead) {
  TempDir tmp;
  const RegistryDir dir = RegistryDir::open(tmp.registry(), true);
  ASSERT_EQ(::mkfifo((tmp.registry() + "/77.json").c_str(), 0600), 0);
  try {
    dir.read("77.json");
    ADD_FAILURE() << "read a fifo";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
  std::ofstream(tmp.registry() + "/78.json") << std::string(70 * 1024, ' ');
  EXPECT_THROW(dir.read("78.json"), RegistryError);
}

// ---- the registry as a whole -----------------------------------------------------------------

TEST(LauncherRegistry, CleanupRemovesStaleRecordsAndKeepsRunningOnes) {
  TempDir tmp;
  const RegistryDir dir = RegistryDir::open(tmp.registry(), true);
  InstanceRecord running = sample_record();
  InstanceRecord gone = sample_record();
  gone.pid = 5000;
  InstanceRecord reused = sample_record();
  reused.pid = 6000;
  for (const auto* r : {&running, &gone, &reused}) dir.write(record_file_name(r->pid), record_to_json(*r));
  dir.write("7000.json", "{ not json");  // unreadable; its pid runs: kept (it may be a newer version's)
  dir.write("8000.json", "{ not json");  // unreadable and its pid is gone
  std::ofstream(tmp.registry() + "/.9000.tmp") << "half";
  std::ofstream(tmp.registry() + "/.4081.tmp") << "being written";
  ASSERT_EQ(::symlink("/etc/passwd", (tmp.registry() + "/9100.json").c_str()), 0);
  std::ofstream(tmp.registry() + "/notes.txt") << "not ours to judge";
  const auto table = processes({{4081, 123456}, {6000, 1}, {7000, 1}});

  const auto listed = running_instances(dir, table);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.front(), running);

  const auto removed = remove_stale_records(dir, table);
  std::string text;
  for (const auto& line : removed) text += line + "\n";
  EXPECT_EQ(removed.size(), 5u) << text;
  EXPECT_NE(text.find("5000.json (record of web-2, plan-exec 5000 no longer running)"), std::string::npos) << text;
  EXPECT_NE(text.find("6000.json (record of web-2, plan-exec 6000 no longer running (its pid now belongs"), std::string::npos) << text;
  EXPECT_NE(text.find("8000.json (unreadable"), std::string::npos) << text;
  EXPECT_NE(text.find(".9000.tmp (a half-written record"), std::string::npos) << text;
  EXPECT_NE(text.find("9100.json (a symlink"), std::string::npos) << text;
  EXPECT_EQ(dir.files(), (std::vector<std::string>{".4081.tmp", "4081.json", "7000.json"}));
  EXPECT_TRUE(fs::exists(tmp.registry() + "/notes.txt"));
  EXPECT_TRUE(fs::exists("/etc/passwd"));
}

TEST(LauncherRegistry, InstancesArePickedByNameOrEitherPid) {
  InstanceRecord a = sample_record();
  InstanceRecord b = sample_record();
  b.name = "db";
  b.pid = 5000;
  b.container_pid = 5001;
  const std::vector<InstanceRecord> running = {a, b};
  EXPECT_EQ(pick_instance(running, "db").pid, 5000);
  EXPECT_EQ(pick_instance(running, "5000").name, "db");
  EXPECT_EQ(pick_instance(running, "4082").name, "web-2") << "the container's pid names it too";
  try {
    pick_instance(running, "cache");
    ADD_FAILURE();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("no running container is named cache (plan-exec ps lists them)"), std::string::npos) << e.what();
  }
  InstanceRecord twin = a;
  twin.pid = 7000;
  try {
    pick_instance({a, twin}, "web-2");
    ADD_FAILURE();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("2 running containers are named web-2 (plan-exec pids 4081, 7000)"), std::string::npos) << e.what();
  }
}

TEST(LauncherRegistry, PsTableAndJson) {
  InstanceRecord a = sample_record();
  InstanceRecord b = sample_record();
  b.name = "db";
  b.pid = 5000;
  b.container_pid = 5001;
  b.veth.reset();
  b.command = {"/bin/sleep", "100"};
  const std::string table = format_instance_table({a, b}, a.started + 192);
  EXPECT_EQ(table,
            "NAME   PID   CONTAINER  UPTIME  ADDRESS        VETH     COMMAND\n"
            "web-2  4081  4082       3m12s   10.200.2.2/24  pe-4081  /home/hello-world --port 80\n"
            "db     5000  5001       3m12s   -              -        /bin/sleep 100\n");
  const auto json = nlohmann::json::parse(format_instance_json({a, b}));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(record_from_json(json[0].dump(), "ps"), a);
  EXPECT_EQ(json[1]["veth"], nullptr);
  EXPECT_EQ(format_instance_json({}), "[]\n");
  EXPECT_EQ(format_uptime(5), "5s");
  EXPECT_EQ(format_uptime(3 * 3600 + 5 * 60), "3h05m");
  EXPECT_EQ(format_uptime(2 * 86400 + 4 * 3600), "2d04h");
}

TEST(LauncherRegistry, TheStartLineNamesAddressAndHostEnd) {
  EXPECT_EQ(address_line("hello", VethRecord{"pe-4081", "eth0", "10.200.0.1/24", "10.200.0.2/24"}),
            "hello: 10.200.0.2 via pe-4081");
}

TEST(LauncherRegistry, ExecLooksCommandsUpInThePlansPath) {
  EXPECT_EQ(exec_candidates("/bin/sh", {"PATH=/x"}), std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(exec_candidates("sh", {"HOME=/", "PATH=/usr/bin:/bin"}), (std::vector<std::string>{"/usr/bin/sh", "/bin/sh"}));
  EXPECT_EQ(exec_candidates("sh", {}).front(), "/usr/local/sbin/sh");
  EXPECT_EQ(exec_candidates("sh", {"PATH=:/bin"}), (std::vector<std::string>{"./sh", "/bin/sh"}));
}

TEST(LauncherRegistry, QuietAndTheSubcommandsOnTheCommandLine) {
  const char* quiet[] = {"plan-exec", "-q", "app.plan"};
  const auto args = parse_cli(3, quiet);
  ASSERT_EQ(args.mode, CliMode::Run) << args.error;
  EXPECT_TRUE(args.run.quiet);
  const char* long_quiet[] = {"plan-exec", "--quiet", "app.plan"};
  EXPECT_TRUE(parse_cli(3, long_quiet).run.quiet);
  const char* loud[] = {"plan-exec", "app.plan", "--", "/bin/sh", "-q"};
  EXPECT_FALSE(parse_cli(5, loud).run.quiet);
  for (const char* word : {"ps", "exec", "stop"}) EXPECT_TRUE(is_instance_command(word)) << word;
  for (const char* word : {"app.plan", "./ps", "--ps", "start"}) EXPECT_FALSE(is_instance_command(word)) << word;
  // Usage errors exit 125 before looking for any container.
  const char* no_command[] = {"plan-exec", "exec", "web", "--"};
  EXPECT_EQ(run_instance_command(4, no_command), 125);
  const char* no_target[] = {"plan-exec", "stop"};
  EXPECT_EQ(run_instance_command(2, no_target), 125);
  const char* bad_ps[] = {"plan-exec", "ps", "--all"};
  EXPECT_EQ(run_instance_command(3, bad_ps), 125);
}

}  // namespace launcher_registry_test
