#include "roles/patch/xml_patch.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl::patch {
namespace {

using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::HasSubstr;

std::unique_ptr<XmlDocument> Parse(absl::string_view text) {
  absl::StatusOr<std::unique_ptr<XmlDocument>> doc = ParseXmlForPatch(text, "test.xml");
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : nullptr;
}

// Patches `text` with `fn`, failing the test on errors.
std::string Patched(absl::string_view text, const std::function<absl::Status(XmlDocument&)>& fn) {
  absl::StatusOr<std::string> out = PatchXmlText(text, "test.xml", fn);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::string();
}

class StockRoundTripTest : public ::testing::TestWithParam<const char*> {};

TEST_P(StockRoundTripTest, UntouchedStockFileIsByteIdentical) {
  const std::string text = ReadSourceFile(absl::StrCat("roles/stock/", GetParam()));
  ASSERT_FALSE(text.empty());
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(doc->round_trips_exactly());
  EXPECT_EQ(SerializeXml(*doc), text);
}

INSTANTIATE_TEST_SUITE_P(AllStockXml, StockRoundTripTest,
                         ::testing::Values("wso2-bam/carbon.xml",
                                           "wso2-bam/cassandra-component.xml",
                                           "wso2-bam/data-bridge-config.xml",
                                           "wso2-bam/hector-config.xml",
                                           "wso2-bam/tasks-config.das-clustering-template.xml",
                                           "wso2-carbon-kernel/master-datasources.xml",
                                           "wso2-carbon-kernel/registry.xml"));

TEST(XmlPatchTest, MarkupSpellingSurvivesWhereUnowned) {
  const std::string text =
      "<?xml version='1.0' encoding=\"ISO-8859-1\" ?>\n"
      "<?xml-stylesheet type=\"text/xsl\"  href=\"c.xsl\"?>\n"
      "<!DOCTYPE r>\n"
      "<r  a='1'\n   b=\"x &quot; y\">\r\n"
      "  <e></e><f /><g>&amp;&#38;&apos;</g>\t<![CDATA[<raw>]]>\n"
      "  <owned>old</owned>\n"
      "</r >\n";
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(SerializeXml(*doc), ReplaceOnce(text, "</r >", "</r>"));
  // Whitespace inside an end tag is the one thing the writer does not keep.
  EXPECT_FALSE(doc->round_trips_exactly());

  ASSERT_TRUE(SetXmlText(doc->root().child("owned"), "new").ok());
  std::string out = SerializeXml(*doc);
  EXPECT_EQ(out, ReplaceOnce(ReplaceOnce(text, "</r >", "</r>"), "old", "new"));
  EXPECT_EQ(XmlText(doc->root().child("g")), "&&'");
  EXPECT_EQ(XmlAttribute(doc->root(), "b"), "x \" y");
}

TEST(XmlPatchTest, ByteOrderMarkSurvives) {
  const std::string text = "\xEF\xBB\xBF<a>\n  <b>1</b>\n</a>\n";
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(doc->round_trips_exactly());
  ASSERT_TRUE(SetChildText(doc->root(), "b", "2").ok());
  EXPECT_EQ(SerializeXml(*doc), "\xEF\xBB\xBF<a>\n  <b>2</b>\n</a>\n");
}

// Found by xml_patch_fuzz: pugixml ends a declaration written with "/>" at
// that "/>" and rewrites the text up to the next "?>" (here "x ?>" became
// "x />"), while its spelling was taken up to that "?>", so the writer
// repeated the markup in between and the patched file did not parse. Such
// a file is refused, naming where.
TEST(XmlPatchTest, ADeclarationNotEndedByItsOwnMarkIsRefused) {
  absl::StatusOr<std::unique_ptr<XmlDocument>> doc =
      ParseXmlForPatch("<?xml version=\"1.0\"/>\n<r>\n  <a>x ?></a>\n</r>\n", "carbon.xml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "carbon.xml:1:1: malformed XML: a declaration or processing instruction must end "
            "with \"?>\"");
}

TEST(XmlPatchTest, ChangedAttributesRewriteOnlyTheirValues) {
  const std::string text = "<r>\n  <a  x='1'  y='2' />\n  <b  z='3' />\n</r>\n";
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  ASSERT_TRUE(SetXmlAttribute(doc->root().child("a"), "y", "2").ok());  // same value: no-op
  EXPECT_EQ(SerializeXml(*doc), text);
  ASSERT_TRUE(SetXmlAttribute(doc->root().child("a"), "y", "<5>").ok());
  EXPECT_EQ(SerializeXml(*doc), "<r>\n  <a  x='1'  y='&lt;5&gt;' />\n  <b  z='3' />\n</r>\n");
  // A value holding the quote it would stand in: the tag is written anew.
  ASSERT_TRUE(SetXmlAttribute(doc->root().child("a"), "y", "it's").ok());
  EXPECT_EQ(SerializeXml(*doc), "<r>\n  <a x=\"1\" y=\"it's\"/>\n  <b  z='3' />\n</r>\n");
}

// Tomcat's connectors put each attribute on a line of its own, some with
// trailing blanks: an added attribute follows the last one, and the rest
// stays as it was.
TEST(XmlPatchTest, AnAddedAttributeFollowsTheLastOneAndTheLayoutStays) {
  const std::string text =
      "<Server>\n  <Connector  protocol=\"nio\"\n              port=\"9763\" \n"
      "              URIEncoding=\"UTF-8\"/>\n  <Connector port='9443'>\n  </Connector>\n"
      "</Server>\n";
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  for (pugi::xml_node c = doc->root().child("Connector"); c; c = c.next_sibling("Connector")) {
    ASSERT_TRUE(SetXmlAttribute(c, "address", "10.0.0.1").ok());
  }
  EXPECT_EQ(SerializeXml(*doc),
            "<Server>\n  <Connector  protocol=\"nio\"\n              port=\"9763\" \n"
            "              URIEncoding=\"UTF-8\" address=\"10.0.0.1\"/>\n"
            "  <Connector port='9443' address=\"10.0.0.1\">\n  </Connector>\n</Server>\n");
  // Patching again changes nothing.
  std::unique_ptr<XmlDocument> again = Parse(SerializeXml(*doc));
  ASSERT_NE(again, nullptr);
  for (pugi::xml_node c = again->root().child("Connector"); c; c = c.next_sibling("Connector")) {
    ASSERT_TRUE(SetXmlAttribute(c, "address", "10.0.0.1").ok());
  }
  EXPECT_EQ(SerializeXml(*again), SerializeXml(*doc));
}

TEST(XmlPatchTest, Latin1BytesPassThrough) {
  std::string text = ReadSourceFile("roles/stock/wso2-carbon-kernel/registry.xml");
  text = ReplaceOnce(text, "Copyright 2005-2011 WSO2", "Copyright 2005-2011 WSO2 caf\xe9");
  std::string out = Patched(
      text, [](XmlDocument& doc) { return SetChildText(doc.root(), "registryRoot", "/x"); });
  EXPECT_THAT(out, HasSubstr("WSO2 caf\xe9,"));
  EXPECT_EQ(out, ReplaceOnce(text, "<registryRoot>/</registryRoot>\n\n",
                             "<registryRoot>/x</registryRoot>\n\n"));
}

TEST(XmlPatchTest, NewElementFollowsSiblingIndentAndCrlf) {
  const std::string text = ReadSourceFile("roles/stock/wso2-bam/cassandra-component.xml");
  std::string out = Patched(text, [](XmlDocument& doc) {
    pugi::xml_node cluster = doc.root().child("Cluster");
    return SetXmlText(EnsureChild(cluster, "DefaultPort", "Nodes"), "9160");
  });
  EXPECT_EQ(out, ReplaceOnce(text, "</Nodes>\r\n",
                             "</Nodes>\r\n        <DefaultPort>9160</DefaultPort>\r\n"));
}

TEST(XmlPatchTest, SetChildTextCreatesPathsOneStepDeeper) {
  std::string out = Patched("<a>\n  <b/>\n</a>\n",
                            [](XmlDocument& doc) { return SetChildText(doc.root(), "c/d", "v"); });
  EXPECT_EQ(out, "<a>\n  <b/>\n  <c>\n    <d>v</d>\n  </c>\n</a>\n");
  out = Patched("<a/>", [](XmlDocument& doc) { return SetChildText(doc.root(), "c", "v"); });
  EXPECT_EQ(out, "<a>\n    <c>v</c>\n</a>");
}

TEST(XmlPatchTest, TextIsEscapedAndSettingItAgainChangesNothing) {
  const std::string text = "<a><url>jdbc:x?a=1&amp;b=2</url></a>";
  std::unique_ptr<XmlDocument> doc = Parse(text);
  ASSERT_NE(doc, nullptr);
  ASSERT_TRUE(SetChildText(doc->root(), "url", "jdbc:x?a=1&b=2").ok());
  EXPECT_EQ(SerializeXml(*doc), text);
  ASSERT_TRUE(SetChildText(doc->root(), "url", "p<&>q").ok());
  EXPECT_EQ(SerializeXml(*doc), "<a><url>p&lt;&amp;&gt;q</url></a>");
  EXPECT_EQ(XmlText(doc->root().child("url")), "p<&>q");
}

TEST(XmlPatchTest, RefusesToOverwriteStructureWithText) {
  std::unique_ptr<XmlDocument> doc = Parse("<a><b><c/></b></a>");
  ASSERT_NE(doc, nullptr);
  absl::Status s = SetChildText(doc->root(), "b", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("<b> holds elements"));
}

TEST(XmlPatchTest, ParseErrorsNameFileAndPosition) {
  absl::StatusOr<std::unique_ptr<XmlDocument>> doc =
      ParseXmlForPatch("<a>\n  <b>\n</a>\n", "registry.xml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr("registry.xml:3:"));
  EXPECT_FALSE(ParseXmlForPatch("<a/><b/>", "x.xml").ok());
  EXPECT_FALSE(ParseXmlForPatch("", "x.xml").ok());
  EXPECT_FALSE(ParseXmlForPatch("text<a/>", "x.xml").ok());
}

TEST(XmlPatchTest, UpsertByChildFindsOrAppendsAfterLastOfItsKind) {
  const std::string text =
      "<l>\n    <i><k>1</k></i>\n    <i><k>2</k></i>\n    <!-- tail -->\n</l>\n";
  auto set_v = [](absl::string_view key, absl::string_view v) {
    return [key, v](XmlDocument& doc) {
      return UpsertElementByChild(doc.root(), "i", "k", key,
                                  [v](pugi::xml_node i) { return SetChildText(i, "v", v); });
    };
  };
  EXPECT_EQ(Patched(text, set_v("2", "x")),
            "<l>\n    <i><k>1</k></i>\n    <i><k>2</k><v>x</v></i>\n    <!-- tail -->\n</l>\n");
  const std::string added = Patched(text, set_v("3", "y"));
  EXPECT_EQ(added,
            "<l>\n    <i><k>1</k></i>\n    <i><k>2</k></i>\n    <i>\n        <k>3</k>\n"
            "        <v>y</v>\n    </i>\n    <!-- tail -->\n</l>\n");
  EXPECT_EQ(Patched(added, set_v("3", "y")), added);
}

TEST(XmlPatchTest, UpsertByAttribute) {
  const std::string text = "<r>\n  <m p=\"/a\" o=\"false\"/>\n</r>";
  auto set = [](absl::string_view path) {
    return [path](XmlDocument& doc) {
      return UpsertElementByAttribute(doc.root(), "m", "p", path, [](pugi::xml_node m) {
        return SetXmlAttribute(m, "o", "true");
      });
    };
  };
  EXPECT_EQ(Patched(text, set("/a")), "<r>\n  <m p=\"/a\" o=\"true\"/>\n</r>");
  EXPECT_EQ(Patched(text, set("/b")),
            "<r>\n  <m p=\"/a\" o=\"false\"/>\n  <m p=\"/b\" o=\"true\"/>\n</r>");
}

TEST(XmlPatchTest, RemoveElementTakesItsIndentation) {
  std::unique_ptr<XmlDocument> doc = Parse("<r>\n  <a/>\n  <b/>\n</r>\n");
  ASSERT_NE(doc, nullptr);
  RemoveElement(doc->root().child("b"));
  EXPECT_EQ(SerializeXml(*doc), "<r>\n  <a/>\n</r>\n");
}

// Hadoop 1.0.4 ships every conf/*-site.xml like this.
constexpr absl::string_view kHadoopEmptySite =
    "<?xml version=\"1.0\"?>\n"
    "<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n"
    "\n"
    "<!-- Put site-specific property overrides in this file. -->\n"
    "\n"
    "<configuration>\n"
    "\n"
    "</configuration>\n";

TEST(HadoopPropertyTest, AppendsToTheEmptyShippedFile) {
  auto patch = [](XmlDocument& doc) {
    RETURN_IF_ERROR(SetHadoopProperty(doc, "security.job.submission.protocol.acl", "hadoop"));
    return SetHadoopProperty(doc, "fs.default.name", "hdfs://node1:9000");
  };
  const std::string out = Patched(kHadoopEmptySite, patch);
  EXPECT_EQ(out, ReplaceOnce(std::string(kHadoopEmptySite), "<configuration>\n",
                             "<configuration>\n"
                             "    <property>\n"
                             "        <name>security.job.submission.protocol.acl</name>\n"
                             "        <value>hadoop</value>\n"
                             "    </property>\n"
                             "    <property>\n"
                             "        <name>fs.default.name</name>\n"
                             "        <value>hdfs://node1:9000</value>\n"
                             "    </property>\n"));
  EXPECT_EQ(Patched(out, patch), out);
}

TEST(HadoopPropertyTest, UpdatesInPlaceKeepingDescription) {
  const std::string text =
      "<configuration>\n"
      "  <property>\n"
      "    <name> hive.metastore.warehouse.dir </name>\n"
      "    <value>/old</value>\n"
      "    <description>location of default database for the warehouse</description>\n"
      "  </property>\n"
      "  <property>\n"
      "    <name>no.value</name>\n"
      "  </property>\n"
      "</configuration>\n";
  std::string out = Patched(text, [](XmlDocument& doc) {
    RETURN_IF_ERROR(SetHadoopProperty(doc, "hive.metastore.warehouse.dir", "/user/hive/warehouse"));
    RETURN_IF_ERROR(SetHadoopProperty(doc, "no.value", "v"));
    return SetHadoopProperty(doc, "a.b", "c");
  });
  std::string want = ReplaceOnce(text, "/old", "/user/hive/warehouse");
  want =
      ReplaceOnce(want, "<name>no.value</name>\n", "<name>no.value</name>\n    <value>v</value>\n");
  want = ReplaceOnce(want, "  </property>\n</configuration>",
                     "  </property>\n  <property>\n    <name>a.b</name>\n    <value>c</value>\n"
                     "  </property>\n</configuration>");
  EXPECT_EQ(out, want);
}

TEST(HadoopPropertyTest, SelfClosingConfigurationAndWrongRoot) {
  EXPECT_EQ(Patched("<configuration/>\n",
                    [](XmlDocument& doc) { return SetHadoopProperty(doc, "k", "v"); }),
            "<configuration>\n    <property>\n        <name>k</name>\n        <value>v</value>\n"
            "    </property>\n</configuration>\n");
  absl::StatusOr<std::string> out = PatchXmlText(
      "<conf/>", "x.xml", [](XmlDocument& doc) { return SetHadoopProperty(doc, "k", "v"); });
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("x.xml: expected a Hadoop <configuration>"));
}

TEST(XmlPatchTest, UnescapeHandlesReferencesAndKeepsUnknownEntities) {
  EXPECT_EQ(UnescapeXml("&lt;&#x41;&#66;&#xe9;&custom;&"), "<AB\xc3\xa9&custom;&");
  EXPECT_EQ(EscapeXmlAttribute("a\"<&>"), "a&quot;&lt;&amp;&gt;");
}

}  // namespace
}  // namespace bamctl::patch
