#include "common/escape.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace bamctl {
namespace {

TEST(ShellQuoteTest, SafeWordsStayBare) {
  EXPECT_EQ(ShellQuote("/opt/java/jdk1.6.0_29"), "/opt/java/jdk1.6.0_29");
  EXPECT_EQ(ShellQuote("a-b+c:d,e=f@g%h"), "a-b+c:d,e=f@g%h");
}

TEST(ShellQuoteTest, EverythingElseIsSingleQuoted) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("/x$(id)"), "'/x$(id)'");
  EXPECT_EQ(ShellQuote("/x`id`"), "'/x`id`'");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("/x\nid"), "'/x\nid'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("'"), "''\\'''");
  EXPECT_EQ(ShellQuote("a;b|c&d>e<f*g?h[i]~j#k!l\\m\"n"), "'a;b|c&d>e<f*g?h[i]~j#k!l\\m\"n'");
}

// What the sh reads back, checked by running it: the word must come back
// byte for byte, whatever it holds.
TEST(ShellQuoteTest, TheShellReadsTheWordBack) {
  for (const std::string word :
       {"plain", "/x$(id)", "it's", "'", "a b\tc", "x\ny", "$HOME", "`id`", "\\", "\"q\"", "#"}) {
    const std::string script =
        "test \"$(printf %s " + ShellQuote(word) + ")\" = " + ShellQuote(word);
    const std::string command = "/bin/sh -c " + ShellQuote(script);
    EXPECT_EQ(std::system(command.c_str()), 0) << word;
  }
}

TEST(MySqlOptionValueTest, AlwaysDoubleQuotedWithBackslashEscapes) {
  EXPECT_EQ(MySqlOptionValue("secret"), "\"secret\"");
  EXPECT_EQ(MySqlOptionValue("a#b"), "\"a#b\"");
  EXPECT_EQ(MySqlOptionValue("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(MySqlOptionValue("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(MySqlOptionValue("it's"), "\"it's\"");
  EXPECT_EQ(MySqlOptionValue(" lead=trail "), "\" lead=trail \"");
  EXPECT_EQ(MySqlOptionValue("a\nb\rc\td\be"), "\"a\\nb\\rc\\td\\be\"");
  EXPECT_EQ(MySqlOptionValue("ends\\"), "\"ends\\\\\"");
  EXPECT_EQ(MySqlOptionValue(""), "\"\"");
}

TEST(PropertiesValueTest, EscapesBackslashLineBreaksAndALeadingSpace) {
  EXPECT_EQ(PropertiesValue("/var/zk"), "/var/zk");
  EXPECT_EQ(PropertiesValue("/var/zk\nserver.9=evil:2888:3888"),
            "/var/zk\\nserver.9=evil:2888:3888");
  EXPECT_EQ(PropertiesValue("a\\b"), "a\\\\b");
  EXPECT_EQ(PropertiesValue("a\rb\tc\fd"), "a\\rb\\tc\\fd");
  EXPECT_EQ(PropertiesValue(" x y"), "\\ x y");
  EXPECT_EQ(PropertiesValue("a\x01"), "a\\u0001");
  EXPECT_EQ(PropertiesValue("#!=:"), "#!=:");  // special only at a line's start or in keys
}

TEST(YamlDoubleQuotedTest, EscapesQuotesBackslashAndControls) {
  EXPECT_EQ(YamlDoubleQuoted("Test Cluster"), "\"Test Cluster\"");
  EXPECT_EQ(YamlDoubleQuoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(YamlDoubleQuoted("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(YamlDoubleQuoted("a\x01"), "\"a\\x01\"");
  EXPECT_EQ(YamlDoubleQuoted("key: value # c"), "\"key: value # c\"");
}

TEST(YamlDoubleQuotedTest, AYamlParserReadsTheValueBack) {
  for (const std::string value : {"plain", "a\"b", "c\\d", "x\ny", "k: v # c", "'", "\x01z", " "}) {
    YAML::Node node = YAML::Load("k: " + YamlDoubleQuoted(value));
    EXPECT_EQ(node["k"].as<std::string>(), value);
  }
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString("plain <b> & é"), "\"plain <b> & é\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("x\ny\r\t\x01\b"), "\"x\\ny\\r\\t\\u0001\\u0008\"");
  std::string appended = "[";
  AppendJsonString("k", &appended);
  EXPECT_EQ(appended, "[\"k\"");
}

}  // namespace
}  // namespace bamctl
