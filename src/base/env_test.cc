// The POSIX Env against a real temporary directory, and the faults FaultInjectionEnv injects.
#include "warden/base/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "testing/temp_dir.h"
#include "warden/base/fault_env.h"
#include "warden/base/file.h"

namespace warden {
namespace {

// A fresh directory (test::TempDir); TearDown removes it through the Env under test.
class EnvTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(dir_).ok()); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  Env* env_ = Env::Default();
  test::TempDir tmp_{"env"};
  const std::string dir_ = tmp_.path();
};

TEST_F(EnvTest, DefaultIsOneProcessWideEnv) { EXPECT_EQ(Env::Default(), Env::Default()); }

TEST_F(EnvTest, WritableFileAppendsAndAppendableFileContinues) {
  auto f = env_->NewWritableFile(Path("log"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->path(), Path("log"));
  ASSERT_TRUE((*f)->Append("one\n").ok());
  ASSERT_TRUE((*f)->Flush().ok());
  // Append hands bytes to the OS at once: a reader sees them before Sync or Close.
  EXPECT_EQ(env_->ReadFile(Path("log")).value(), "one\n");
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_TRUE((*f)->Close().ok());  // a second Close is OK
  EXPECT_FALSE((*f)->Append("x").ok());
  auto g = env_->NewAppendableFile(Path("log"));
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("two\n").ok());
  ASSERT_TRUE((*g)->Close().ok());
  EXPECT_EQ(env_->ReadFile(Path("log")).value(), "one\ntwo\n");
  ASSERT_TRUE(env_->TruncateFile(Path("log"), 4).ok());
  EXPECT_EQ(env_->ReadFile(Path("log")).value(), "one\n");
  EXPECT_EQ(env_->GetFileSize(Path("log")).value(), 4u);
  // NewWritableFile truncates.
  ASSERT_TRUE(env_->NewWritableFile(Path("log")).value()->Close().ok());
  EXPECT_EQ(env_->GetFileSize(Path("log")).value(), 0u);
}

TEST_F(EnvTest, SequentialFileReadsInChunksToTheEnd) {
  ASSERT_TRUE(env_->WriteFileAtomic(Path("s"), "abcdefg").ok());
  auto f = env_->NewSequentialFile(Path("s"));
  ASSERT_TRUE(f.ok());
  std::string chunk, all;
  while (true) {
    ASSERT_TRUE((*f)->Read(3, &chunk).ok());
    if (chunk.empty()) break;
    EXPECT_LE(chunk.size(), 3u);
    all += chunk;
  }
  EXPECT_EQ(all, "abcdefg");
}

TEST_F(EnvTest, ErrorsNameThePathAndTheReason) {
  const std::string missing = Path("missing/file");
  auto r = env_->ReadFile(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(r.status().message(), "cannot open " + missing + ": No such file or directory");
  EXPECT_EQ(env_->NewWritableFile(missing).status().message(),
            "cannot create " + missing + ": No such file or directory");
  EXPECT_EQ(env_->Stat(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->ListDir(Path("missing")).status().message(),
            "cannot list " + Path("missing") + ": No such file or directory");
  EXPECT_EQ(env_->RemoveFile(missing).message(), "cannot remove " + missing + ": No such file or directory");
  EXPECT_EQ(env_->RenameFile(missing, Path("x")).message(),
            "cannot rename " + missing + " to " + Path("x") + ": No such file or directory");
  EXPECT_FALSE(env_->FileExists(missing));
  // A file where a directory is wanted.
  ASSERT_TRUE(env_->WriteFileAtomic(Path("f"), "x").ok());
  EXPECT_EQ(env_->CreateDirs(Path("f")).message(), "cannot create " + Path("f") + ": File exists");
  EXPECT_FALSE(env_->CreateDirs(Path("f/sub")).ok());
}

TEST_F(EnvTest, DirectoriesAreCreatedListedAndRemoved) {
  ASSERT_TRUE(env_->CreateDirs(Path("a/b/c")).ok());
  ASSERT_TRUE(env_->CreateDirs(Path("a/b/c")).ok());  // already there: OK
  ASSERT_TRUE(env_->CreateDirs(Path("a/b/")).ok());
  EXPECT_TRUE(env_->IsDirectory(Path("a/b/c")));
  ASSERT_TRUE(env_->WriteFileAtomic(Path("a/z.txt"), "zz").ok());
  ASSERT_TRUE(env_->WriteFileAtomic(Path("a/m.txt"), "m").ok());
  ASSERT_EQ(::symlink(Path("a/b").c_str(), Path("a/link").c_str()), 0);
  auto entries = env_->ListDir(Path("a"));
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "link", "m.txt", "z.txt"}));  // sorted, no . or ..
  EXPECT_EQ((*entries)[0].type, FileType::kDirectory);
  EXPECT_EQ((*entries)[1].type, FileType::kSymlink);  // the link itself, not its target
  EXPECT_EQ((*entries)[2].type, FileType::kRegular);
  EXPECT_EQ(env_->Stat(Path("a/link")).value().type, FileType::kDirectory);
  EXPECT_EQ(env_->LinkStat(Path("a/link")).value().type, FileType::kSymlink);
  const FileInfo info = env_->Stat(Path("a/z.txt")).value();
  EXPECT_EQ(info.size, 2u);
  EXPECT_GT(info.mtime_ns, int64_t{1600000000} * 1000000000);  // after 2020, in nanoseconds
  EXPECT_FALSE(env_->RemoveDir(Path("a")).ok());  // not empty
  // RemoveAll removes a symlink to a directory, never what it points at.
  ASSERT_TRUE(env_->CreateDirs(Path("keep")).ok());
  ASSERT_TRUE(env_->WriteFileAtomic(Path("keep/k"), "k").ok());
  ASSERT_EQ(::symlink(Path("keep").c_str(), Path("a/b/to-keep").c_str()), 0);
  ASSERT_TRUE(env_->RemoveAll(Path("a")).ok());
  EXPECT_FALSE(env_->FileExists(Path("a")));
  EXPECT_TRUE(env_->FileExists(Path("keep/k")));
  EXPECT_TRUE(env_->RemoveAll(Path("a")).ok());  // nothing there: OK
}

TEST_F(EnvTest, WriteFileAtomicAndCopyFile) {
  ASSERT_TRUE(env_->WriteFileAtomic(Path("w"), "first").ok());
  ASSERT_TRUE(env_->WriteFileAtomic(Path("w"), "second").ok());
  EXPECT_EQ(env_->ReadFile(Path("w")).value(), "second");
  EXPECT_FALSE(env_->FileExists(Path("w.tmp")));
  std::string big(3 << 20, 'x');  // more than one copy chunk
  big[12345] = 'y';
  ASSERT_TRUE(env_->WriteFileAtomic(Path("big"), big).ok());
  ASSERT_TRUE(env_->CopyFile(Path("big"), Path("w")).ok());  // over an existing file
  EXPECT_EQ(env_->ReadFile(Path("w")).value(), big);
  EXPECT_FALSE(env_->CopyFile(Path("nope"), Path("w")).ok());
  EXPECT_EQ(env_->ReadFile(Path("w")).value(), big);
  // The free functions of file.h are the default Env's.
  ASSERT_TRUE(WriteFileAtomic(Path("free"), "f").ok());
  EXPECT_EQ(ReadFileToString(Path("free")).value(), "f");
  EXPECT_TRUE(FileExists(Path("free")));
  EXPECT_TRUE(IsDirectory(dir_));
  EXPECT_FALSE(IsDirectory(Path("free")));
}

TEST_F(EnvTest, ClockAndRandomness) {
  const int64_t now = env_->NowUnixSeconds();
  EXPECT_GT(now, int64_t{1600000000});
  const uint64_t a = env_->NowMicros();
  const uint64_t b = env_->NowMicros();
  EXPECT_LE(a, b);  // monotonic
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    std::string bytes(32, '\0');
    env_->RandomBytes(bytes.data(), bytes.size());
    seen.insert(bytes);
  }
  EXPECT_EQ(seen.size(), 4u);  // 256-bit draws do not repeat
}

TEST_F(EnvTest, FullDiskTearsTheWriteThatCrossesTheLimitAndFailsLaterOnes) {
  FaultInjectionEnv env(env_);
  auto f = env.NewWritableFile(Path("log"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("0123456789\n").ok());
  env.FailWritesAfter(5);
  Status st = (*f)->Append("abcdefghij\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "cannot write to " + Path("log") + ": No space left on device");
  EXPECT_EQ(env.ReadFile(Path("log")).value(), "0123456789\nabcde");  // the torn prefix that fit
  EXPECT_FALSE((*f)->Append("more").ok());
  EXPECT_FALSE(env.WriteFileAtomic(Path("other"), "x").ok());  // every file shares the disk
  EXPECT_FALSE(env.FileExists(Path("other")));
  EXPECT_FALSE(env.FileExists(Path("other.tmp")));
  EXPECT_EQ(env.bytes_appended(), 16u);
  env.Heal();
  ASSERT_TRUE((*f)->Append("!\n").ok());  // files opened before healing write again
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(env.ReadFile(Path("log")).value(), "0123456789\nabcde!\n");
}

TEST_F(EnvTest, FailedRenameLeavesTheOldFileWhole) {
  FaultInjectionEnv env(env_);
  ASSERT_TRUE(env.WriteFileAtomic(Path("card.json"), "old").ok());
  env.FailNextRename();
  Status st = env.WriteFileAtomic(Path("card.json"), "new");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "cannot rename " + Path("card.json.tmp") + " to " + Path("card.json") + ": Input/output error");
  EXPECT_EQ(env.ReadFile(Path("card.json")).value(), "old");
  EXPECT_FALSE(env.FileExists(Path("card.json.tmp")));
  ASSERT_TRUE(env.WriteFileAtomic(Path("card.json"), "new").ok());  // only the next rename fails
  EXPECT_EQ(env.ReadFile(Path("card.json")).value(), "new");
}

TEST_F(EnvTest, FrozenClock) {
  FaultInjectionEnv env(env_);
  env.FreezeClock(1700000000, 42);
  EXPECT_EQ(env.NowUnixSeconds(), 1700000000);
  EXPECT_EQ(env.NowMicros(), 42u);
  env.Heal();  // faults only
  EXPECT_EQ(env.NowMicros(), 42u);
  env.ThawClock();
  EXPECT_GT(env.NowUnixSeconds(), int64_t{1700000000});
}

}  // namespace
}  // namespace warden
