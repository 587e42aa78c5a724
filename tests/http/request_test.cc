#include "http/request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl::http {
namespace {

using ::testing::HasSubstr;
using State = ParseResult::State;

TEST(ParseRequestTest, ParsesAGetWithQueryCookiesAndFields) {
  const std::string raw =
      "GET /api/version?v=3&x=a%20b HTTP/1.1\r\nHost: ctl:9443\r\nCookie: a=1; "
      "__Host-s=abc\r\nX-Two: one\r\nx-two: two\r\n\r\n";
  ParseResult r = ParseRequest(raw);
  ASSERT_EQ(r.state, State::kComplete) << r.error;
  EXPECT_EQ(r.consumed, raw.size());
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.path, "/api/version");
  EXPECT_EQ(r.request.query, "v=3&x=a%20b");
  EXPECT_EQ(r.request.QueryParam("v"), "3");
  EXPECT_EQ(r.request.QueryParam("x"), "a b");
  EXPECT_EQ(r.request.QueryParam("y"), std::nullopt);
  EXPECT_EQ(r.request.Cookie("__Host-s"), "abc");
  EXPECT_EQ(r.request.Cookie("b"), std::nullopt);
  EXPECT_EQ(r.request.Header("x-two"), "one");  // names are lower-cased, first wins
  EXPECT_TRUE(r.request.KeepAlive());
}

TEST(ParseRequestTest, WaitsForTheWholeHeadAndBody) {
  const std::string raw =
      "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\ntoken=abcde";
  for (size_t n = 0; n < raw.size(); ++n) {
    EXPECT_EQ(ParseRequest(raw.substr(0, n)).state, State::kIncomplete) << n;
  }
  ParseResult r = ParseRequest(raw + "GET / HTTP/1.1\r\n");  // pipelined: only the first
  ASSERT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.request.body, "token=abcde");
  EXPECT_EQ(r.consumed, raw.size());
}

TEST(ParseRequestTest, KeepAliveFollowsTheVersionAndConnection) {
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.0\r\n\r\n").request.KeepAlive());
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n")
                   .request.KeepAlive());
}

struct Refusal {
  const char* raw;
  int status;
  const char* says;
};

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, RefusesWithTheRightStatus) {
  ParseResult r = ParseRequest(GetParam().raw);
  ASSERT_EQ(r.state, State::kRefused) << GetParam().raw;
  EXPECT_EQ(r.status, GetParam().status);
  EXPECT_THAT(r.error, HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RefusalTest,
    ::testing::Values(
        Refusal{"GET /\r\n\r\n", 400, "METHOD SP TARGET"},
        Refusal{"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "METHOD SP TARGET"},
        Refusal{"G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"},
        Refusal{"GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "origin form"},
        Refusal{"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "escaped"},
        Refusal{"GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "%-escape"},
        Refusal{"GET /a%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "NUL"},
        Refusal{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "not supported"},
        Refusal{"GET / HTCPCP/1.0\r\n\r\n", 400, "HTTP version"},
        Refusal{"GET / HTTP/1.1\r\n\r\n", 400, "Host"},
        Refusal{"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "folding"},
        Refusal{"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "NAME: VALUE"},
        Refusal{"GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n", 400, "control character"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                "Content-Length"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400,
                "two different"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "decimal"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", 400, "decimal"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999\r\n\r\n", 400,
                "decimal"},
        Refusal{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n", 413,
                "at most 65536"}));

TEST(ParseRequestTest, BoundsTheHead) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(kMaxHeadBytes, 'a');
  ParseResult r = ParseRequest(raw);  // no end of the head yet, and already too long
  EXPECT_EQ(r.state, State::kRefused);
  EXPECT_EQ(r.status, 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 0; i < kMaxHeaders; ++i) many += "X-A: b\r\n";
  r = ParseRequest(many + "\r\n");
  EXPECT_EQ(r.status, 431);
  EXPECT_THAT(r.error, HasSubstr("header fields"));
}

TEST(PercentDecodeTest, DecodesAndRefusesMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%2Fb+c", false), "a/b+c");
  EXPECT_EQ(PercentDecode("a%2fb+c", true), "a/b c");
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%g0", false), std::nullopt);
  EXPECT_EQ(ParseUrlEncoded("token=ab%2Bc&token=second&&=x&bad=%zz&e"),
            (std::map<std::string, std::string>{{"e", ""}, {"token", "ab+c"}}));
}

}  // namespace
}  // namespace bamctl::http
