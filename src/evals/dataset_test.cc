// Datasets: every format, field mappings, and bad rows reported with their line.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/base/gzip.h"
#include "warden/evals/dataset.h"

namespace warden::evals {
namespace {

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(Dataset, CsvWithChoicesAndLetterTargets) {
  const std::string csv = "q,a,b,c,ans,cat\nWhat is 2+2?,3,4,5,B,math\n\"Multi\nline\",x,y,z,c,words\n";
  FieldMap f;
  f.input = "q";
  f.choices = "a|b|c";
  f.target = "ans";
  f.category = "cat";
  auto d = ParseDataset(csv, "t.csv", f);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->samples.size(), 2u);
  EXPECT_EQ(d->samples[0].choices, (std::vector<std::string>{"3", "4", "5"}));
  EXPECT_EQ(d->samples[0].target, "B");
  EXPECT_EQ(d->samples[0].id, "2");  // its line
  EXPECT_EQ(d->samples[1].input, "Multi\nline");
  EXPECT_EQ(d->samples[1].target, "C");  // lower case letter normalised
  EXPECT_EQ(d->samples[1].line, 3u);
  EXPECT_EQ(d->sha256.size(), 64u);
}

TEST(Dataset, JsonlNestedFieldsIndexTargetsAndGzip) {
  const std::string jsonl =
      "{\"id\":\"a\",\"q\":{\"stem\":\"Pick one\"},\"opts\":[\"red\",\"blue\"],\"gold\":1}\n"
      "\n"
      "{\"id\":\"b\",\"q\":{\"stem\":\"Again\"},\"opts\":[\"x\",\"y\"],\"gold\":\"x\"}\n";
  FieldMap f;
  f.input = "q.stem";
  f.choices = "opts";
  f.target = "gold";
  f.id = "id";
  for (const std::string& bytes : {jsonl, Gzip(jsonl)}) {
    auto d = ParseDataset(bytes, "t.jsonl.gz", f);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->samples.size(), 2u);
    EXPECT_EQ(d->samples[0].target, "B");  // index 1
    EXPECT_EQ(d->samples[1].target, "A");  // the text of choice 0
    EXPECT_EQ(d->samples[1].line, 3u);
    EXPECT_EQ(d->samples[0].cluster, "a");
  }
}

TEST(Dataset, JsonArray) {
  FieldMap f;
  f.input = "prompt";
  auto d = ParseDataset("[{\"prompt\":\"hi\"},{\"prompt\":\"there\"}]", "t.json", f);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->samples.size(), 2u);
}

TEST(Dataset, BadRowsAreSkippedWithTheirLineOrFatal) {
  const std::string jsonl =
      "{\"input\":\"fine\"}\n"
      "{\"input\": {\"nested\": 1}}\n"  // not a string
      "not json at all\n"
      "{\"other\":\"no input\"}\n"
      "[1,2]\n"
      "{\"input\":\"   \"}\n"
      "{\"input\":\"also fine\",\"choices\":[\"a\"]}\n";
  FieldMap f;
  auto d = ParseDataset(jsonl, "bad.jsonl", f);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->samples.size(), 2u);
  ASSERT_EQ(d->skipped.size(), 5u);
  EXPECT_NE(d->skipped[0].message.find("bad.jsonl:2"), std::string::npos) << d->skipped[0].message;
  EXPECT_NE(d->skipped[1].message.find("bad.jsonl:3"), std::string::npos) << d->skipped[1].message;
  EXPECT_NE(d->skipped[2].message.find("bad.jsonl:4: missing field 'input'"), std::string::npos) << d->skipped[2].message;
  EXPECT_NE(d->skipped[3].message.find("expected an object"), std::string::npos);
  EXPECT_NE(d->skipped[4].message.find("is empty"), std::string::npos);

  auto fatal = ParseDataset(jsonl, "bad.jsonl", f, BadRows::kFail);
  ASSERT_FALSE(fatal.ok());
  EXPECT_NE(fatal.status().message().find("bad.jsonl:2"), std::string::npos) << fatal.status().message();

  // Choices and targets that do not fit.
  FieldMap c;
  c.choices = "choices";
  c.target = "t";
  auto d2 = ParseDataset("{\"input\":\"q\",\"choices\":[\"a\",\"b\"],\"t\":\"Z\"}\n{\"input\":\"q\",\"choices\":[\"a\",\"b\"],\"t\":7}\n"
                         "{\"input\":\"q\",\"choices\":[\"a\",\"b\"],\"t\":99999999999999999}\n{\"input\":\"q\",\"choices\":[\"a\",\"b\"],\"t\":\"b\"}\n",
                         "c.jsonl", c);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  EXPECT_EQ(d2->samples.size(), 1u);
  EXPECT_EQ(d2->skipped.size(), 3u);
}

TEST(Dataset, WholeFileProblemsAreErrors) {
  FieldMap f;
  f.input = "nope";
  auto wrong_col = ParseDataset("a,b\n1,2\n", "x.csv", f);
  ASSERT_FALSE(wrong_col.ok());
  EXPECT_NE(wrong_col.status().message().find("nope"), std::string::npos);
  FieldMap g;
  EXPECT_FALSE(ParseDataset("", "empty.jsonl", g).ok());
  EXPECT_FALSE(ParseDataset("{\"x\":1}", "t.json", g).ok());  // not an array
  auto csv_width = ParseDataset("input,b\nonly one field\n", "w.csv", g);
  ASSERT_FALSE(csv_width.ok());  // its only row is bad: no samples
  EXPECT_NE(csv_width.status().message().find("w.csv:2: row has 1 fields"), std::string::npos) << csv_width.status().message();
  auto trunc = ParseDataset(Gzip("{\"input\":\"x\"}\n").substr(0, 12), "t.jsonl.gz", g);
  ASSERT_FALSE(trunc.ok());
  EXPECT_NE(trunc.status().message().find("gzip"), std::string::npos) << trunc.status().message();
  EXPECT_FALSE(LoadDataset("/nonexistent/file.jsonl", g).ok());
}

TEST(Dataset, SharedDatasetsLoad) {
  const std::string root = WARDEN_SHARED_DIR;
  WARDEN_NEED_SHARED(root + "/datasets/advbench/harmful_behaviors.csv", root + "/datasets/hh-rlhf/harmless-base-test.jsonl.gz");
  FieldMap f;
  f.input = "goal";
  auto d = LoadDataset(root + "/datasets/advbench/harmful_behaviors.csv", f);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->samples.size() + d->skipped.size(), 520u);
  FieldMap h;
  h.input = "chosen";
  auto hh = LoadDataset(root + "/datasets/hh-rlhf/harmless-base-test.jsonl.gz", h);
  ASSERT_TRUE(hh.ok()) << hh.status().ToString();
  EXPECT_GT(hh->samples.size(), 2000u);
}

}  // namespace
}  // namespace warden::evals
