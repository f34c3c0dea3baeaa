#include "warden/base/status.h"

#include <gtest/gtest.h>

#include <set>

namespace warden {
namespace {

TEST(Status, EveryCodeHasANameAndAnHttpStatus) {
  const StatusCode all[] = {StatusCode::kOk,
                            StatusCode::kInvalidArgument,
                            StatusCode::kNotFound,
                            StatusCode::kCorrupt,
                            StatusCode::kUnsupported,
                            StatusCode::kIoError,
                            StatusCode::kInternal,
                            StatusCode::kPermissionDenied,
                            StatusCode::kFailedPrecondition,
                            StatusCode::kResourceExhausted,
                            StatusCode::kUnavailable,
                            StatusCode::kDeadlineExceeded};
  std::set<std::string> names;
  for (StatusCode c : all) {
    EXPECT_STRNE(StatusCodeName(c), "unknown");
    names.insert(StatusCodeName(c));
  }
  EXPECT_EQ(names.size(), sizeof all / sizeof all[0]);
}

TEST(Status, HttpMappingFollowsTheHeadersTable) {
  EXPECT_EQ(HttpStatusOf(StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusOf(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusOf(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusOf(StatusCode::kCorrupt), 422);
  EXPECT_EQ(HttpStatusOf(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusOf(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusOf(StatusCode::kUnsupported), 501);
  EXPECT_EQ(HttpStatusOf(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusOf(StatusCode::kDeadlineExceeded), 504);
}

TEST(Status, FactoriesCarryTheirCodeAndContext) {
  const Status s = Status::ResourceExhausted("rate limit").WithContext("key k1");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.ToString(), "resource exhausted: key k1: rate limit");
  EXPECT_EQ(Status::DeadlineExceeded("x").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Status::Unavailable("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Status::FailedPrecondition("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Status::PermissionDenied("x").code(), StatusCode::kPermissionDenied);
  Result<int> r(Status::Unavailable("db down"));
  EXPECT_FALSE(r.ok());
  EXPECT_THROW(r.value(), Error);
}

}  // namespace
}  // namespace warden
