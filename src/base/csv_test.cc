#include "warden/base/csv.h"

#include <gtest/gtest.h>

#include "warden/base/rng.h"
#include "warden/base/shared_dir.h"

namespace warden {
namespace {

TEST(Csv, PlainAndQuotedFields) {
  auto rows = ParseCsv("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
}

TEST(Csv, NewlinesInsideQuotesKeepLineNumbers) {
  auto rows = ParseCsv("h\r\n\"two\nlines\"\r\nnext\n", "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].fields[0], "two\nlines");
  EXPECT_EQ((*rows)[1].line, 2u);
  EXPECT_EQ((*rows)[2].line, 4u);
}

TEST(Csv, EmptyFieldsAndNoFinalNewline) {
  auto rows = ParseCsv(",\n\"\",x", "t.csv");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{"", ""}));
  EXPECT_EQ((*rows)[1].fields, (std::vector<std::string>{"", "x"}));
}

TEST(Csv, UnclosedQuoteNamesFileAndStartLine) {
  auto rows = ParseCsv("a\nb\n\"open\nstill open", "data.csv");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("data.csv:3"), std::string::npos) << rows.status().ToString();
  EXPECT_NE(rows.status().message().find("never closed"), std::string::npos);
}

TEST(Csv, StrayQuotesAreErrors) {
  auto inside = ParseCsv("a\nab\"c\n", "q.csv");
  ASSERT_FALSE(inside.ok());
  EXPECT_NE(inside.status().message().find("q.csv:2"), std::string::npos);
  auto after = ParseCsv("\"a\"b\n", "q.csv");
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.status().message().find("after a quoted field"), std::string::npos);
}

TEST(Csv, TableHeaderColumnsAndBom) {
  auto table = ParseCsvTable("\xEF\xBB\xBFid,prompt\n1,hello\n2\n", "x.csv");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->header[0], "id");
  EXPECT_EQ(*table->Column("prompt"), 1u);
  EXPECT_EQ(table->rows[1].fields.size(), 1u);  // ragged rows are kept for the caller to judge
  auto missing = table->Column("label");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("x.csv: no column named 'label'"), std::string::npos);
  EXPECT_FALSE(ParseCsvTable("", "empty.csv").ok());
}

TEST(Csv, MissingFileNamesPath) {
  auto table = ReadCsvFile("/nonexistent/dir/file.csv");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kNotFound);
  EXPECT_NE(table.status().message().find("/nonexistent/dir/file.csv"), std::string::npos);
}

TEST(Rng, KnownStreamAndFork) {
  Rng a(42), b(42), c(43);
  const uint64_t first = a.Next();
  EXPECT_EQ(first, b.Next());
  EXPECT_NE(first, c.Next());
  EXPECT_EQ(Rng(42).Fork("x").Next(), Rng(42).Fork("x").Next());
  EXPECT_NE(Rng(42).Fork("x").Next(), Rng(42).Fork("y").Next());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(a.Uniform(7), 7u);
    const int64_t r = a.Range(-3, 3);
    EXPECT_GE(r, -3);
    EXPECT_LE(r, 3);
  }
}

TEST(SharedDir, EnvironmentOverrides) {
  ::setenv("WARDEN_SHARED", "/some/where", 1);
  EXPECT_EQ(SharedDir(), "/some/where");
  ::unsetenv("WARDEN_SHARED");
  EXPECT_EQ(SharedDir(), "../shared");
}

}  // namespace
}  // namespace warden
