#include "pki/certs.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "pki/openssl_util.h"

namespace bamctl {
namespace {

using pki_internal::Asn1IntegerPtr;
using pki_internal::BignumPtr;
using pki_internal::BioPtr;
using pki_internal::ExtensionPtr;
using pki_internal::GeneralNamePtr;
using pki_internal::GeneralNamesPtr;
using pki_internal::NamePtr;
using pki_internal::OpenSslError;
using pki_internal::ParseCertificate;
using pki_internal::ParsePrivateKey;
using pki_internal::ParseRequest;
using pki_internal::PkeyPtr;
using pki_internal::ReqPtr;
using pki_internal::StoreCtxPtr;
using pki_internal::StorePtr;
using pki_internal::X509Ptr;

constexpr absl::StatusCode kInternal = absl::StatusCode::kInternal;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Certificates start a minute in the past, so a peer whose clock is a little
// behind does not refuse a certificate issued a moment ago.
constexpr absl::Duration kClockSkew = absl::Minutes(1);

absl::StatusOr<PkeyPtr> NewKey() {
  ERR_clear_error();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError(kInternal, "generate an ECDSA P-256 key");
  return key;
}

// A request's key must be what this PKI issues for: ECDSA P-256.
absl::Status CheckP256(EVP_PKEY* key) {
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_is_a(key, "EC") != 1 ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &length) != 1 ||
      (absl::string_view(group) != "prime256v1" && absl::string_view(group) != "P-256")) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("the request's key is ", EVP_PKEY_get0_type_name(key),
                     group[0] != '\0' ? absl::StrCat(" ", group) : "", "; want ECDSA P-256"));
  }
  return absl::OkStatus();
}

// The subject in RFC 2253 form ("OU=node,CN=node1"), for messages.
std::string SubjectText(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "(unprintable subject)";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : "(empty subject)";
}

absl::StatusOr<NamePtr> LeafSubject(absl::string_view name, PeerRole role) {
  if (name.empty()) return absl::InvalidArgumentError("a certificate needs a non-empty name");
  NamePtr subject(X509_NAME_new());
  const std::string cn(name);
  const std::string ou(PeerRoleText(role));
  auto add = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(subject.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  if (subject == nullptr || !add("CN", cn) || !add("OU", ou)) {
    return OpenSslError(kInvalid, absl::StrCat("subject CN=", cn, ", OU=", ou));
  }
  return subject;
}

absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return OpenSslError(kInternal, "random serial number");
  }
  bytes[0] &= 0x7f;  // a positive INTEGER that fits RFC 5280's 20 octets
  BignumPtr number(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  Asn1IntegerPtr serial(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError(kInternal, "set the serial number");
  }
  return absl::OkStatus();
}

// Moves `name` into `names`.
absl::Status Push(GENERAL_NAMES* names, GeneralNamePtr name) {
  GENERAL_NAME* raw = name.release();
  if (sk_GENERAL_NAME_push(names, raw) <= 0) {
    GENERAL_NAME_free(raw);
    return OpenSslError(kInternal, "subjectAltName list");
  }
  return absl::OkStatus();
}

absl::Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& dns_names,
                                const std::vector<std::string>& ip_addresses) {
  if (dns_names.empty() && ip_addresses.empty()) return absl::OkStatus();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslError(kInternal, "subjectAltName list");
  for (const std::string& dns : dns_names) {
    const bool valid = !dns.empty() && dns.size() <= 253 && dns.front() != '.' &&
                       dns.front() != '-' && std::all_of(dns.begin(), dns.end(), [](char c) {
                         return absl::ascii_isalnum(c) || c == '-' || c == '.';
                       });
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS name \"", dns, "\": want a host name (letters, digits, '-' and '.')"));
    }
    GeneralNamePtr general(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (general == nullptr || text == nullptr ||
        ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      return OpenSslError(kInternal, absl::StrCat("subjectAltName DNS:", dns));
    }
    GENERAL_NAME_set0_value(general.get(), GEN_DNS, text);
    RETURN_IF_ERROR(Push(names.get(), std::move(general)));
  }
  for (const std::string& ip : ip_addresses) {
    ERR_clear_error();
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("IP address \"", ip, "\": want an IPv4 or IPv6 address"));
    }
    GeneralNamePtr general(GENERAL_NAME_new());
    if (general == nullptr) {
      ASN1_OCTET_STRING_free(octets);
      return OpenSslError(kInternal, absl::StrCat("subjectAltName IP:", ip));
    }
    GENERAL_NAME_set0_value(general.get(), GEN_IPADD, octets);
    RETURN_IF_ERROR(Push(names.get(), std::move(general)));
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError(kInternal, "add subjectAltName");
  }
  return absl::OkStatus();
}

// What kind of certificate to build.
struct Profile {
  bool ca = false;
  PeerRole role = PeerRole::kViewer;  // leaf certificates only
  std::vector<std::string> dns_names{};
  std::vector<std::string> ip_addresses{};
};

// A certificate for `subject_key` named `subject`, signed by `signing_key`
// as `issuer` (null: self-signed), valid from now minus the skew for
// `lifetime`.
absl::StatusOr<X509Ptr> BuildCertificate(X509_NAME* subject, EVP_PKEY* subject_key, X509* issuer,
                                         EVP_PKEY* signing_key, absl::Duration lifetime,
                                         const Profile& profile) {
  ERR_clear_error();
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError(kInternal, "allocate a certificate");
  const absl::Time now = absl::Now();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuer != nullptr ? X509_get_subject_name(issuer) : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(now - kClockSkew)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(now + lifetime)) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslError(kInternal, "fill in the certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));

  std::vector<std::pair<int, std::string>> extensions;
  if (profile.ca) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                  {NID_subject_key_identifier, "hash"},
                  {NID_authority_key_identifier, "keyid:always"}};
  } else {
    extensions = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, profile.role == PeerRole::kController ? "serverAuth" : "clientAuth"},
        {NID_subject_key_identifier, "hash"},
        // An imported CA may lack a key identifier: then issuer and serial.
        {NID_authority_key_identifier, "keyid,issuer"}};
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
    if (extension == nullptr || X509_add_ext(cert.get(), extension.get(), -1) != 1) {
      return OpenSslError(kInternal, absl::StrCat("add extension ", OBJ_nid2sn(nid), " = ", value));
    }
  }
  RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), profile.dns_names, profile.ip_addresses));
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) {
    return OpenSslError(kInternal, "sign the certificate");
  }
  return cert;
}

// The text of the only `nid` entry (CN, OU) of `cert`'s subject.
absl::StatusOr<std::string> OnlyEntry(X509* cert, int nid) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(name, nid, index) >= 0) {
    return absl::InvalidArgumentError(absl::StrCat("certificate subject \"", SubjectText(cert),
                                                   "\" has ", index < 0 ? "no " : "more than one ",
                                                   OBJ_nid2sn(nid), "; want exactly one"));
  }
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (length < 0) return OpenSslError(kInvalid, absl::StrCat(OBJ_nid2sn(nid), " as UTF-8"));
  std::string text(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

absl::StatusOr<absl::Time> ValidityTime(const ASN1_TIME* time, absl::string_view what) {
  std::tm tm = {};
  if (ASN1_TIME_to_tm(time, &tm) != 1) {
    return OpenSslError(kInvalid, absl::StrCat("certificate's ", what));
  }
  return absl::FromTimeT(timegm(&tm));
}

}  // namespace

absl::string_view PeerRoleText(PeerRole role) {
  switch (role) {
    case PeerRole::kOperator:
      return "operator";
    case PeerRole::kViewer:
      return "viewer";
    case PeerRole::kNode:
      return "node";
    case PeerRole::kController:
      return "controller";
  }
  return "unknown";
}

absl::StatusOr<PeerRole> PeerRoleFromText(absl::string_view text) {
  for (PeerRole role :
       {PeerRole::kOperator, PeerRole::kViewer, PeerRole::kNode, PeerRole::kController}) {
    if (PeerRoleText(role) == text) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", text, "\": valid roles are operator, viewer, node, controller"));
}

absl::StatusOr<Identity> IdentityOfCertificate(absl::string_view cert_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the certificate"));
  Identity identity;
  ASSIGN_OR_RETURN(identity.name, OnlyEntry(cert.get(), NID_commonName));
  ASSIGN_OR_RETURN(const std::string role_text, OnlyEntry(cert.get(), NID_organizationalUnitName));
  ASSIGN_OR_RETURN(identity.role,
                   Annotate(PeerRoleFromText(role_text),
                            absl::StrCat("certificate \"", SubjectText(cert.get()), "\": OU")));
  ASSIGN_OR_RETURN(identity.not_before, ValidityTime(X509_get0_notBefore(cert.get()), "notBefore"));
  ASSIGN_OR_RETURN(identity.not_after, ValidityTime(X509_get0_notAfter(cert.get()), "notAfter"));
  return identity;
}

absl::StatusOr<absl::Time> CertificateNotAfter(absl::string_view cert_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the certificate"));
  return ValidityTime(X509_get0_notAfter(cert.get()), "notAfter");
}

absl::StatusOr<KeyAndRequest> NewKeyAndRequest(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("a certificate request needs a name");
  ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  ReqPtr req(X509_REQ_new());
  NamePtr subject(X509_NAME_new());
  const std::string cn(name);
  if (req == nullptr || subject == nullptr ||
      X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return OpenSslError(kInternal, absl::StrCat("certificate request for CN=", cn));
  }
  KeyAndRequest out;
  ASSIGN_OR_RETURN(out.key_pem, pki_internal::PrivateKeyPem(key.get()));
  ASSIGN_OR_RETURN(out.csr_pem, pki_internal::RequestPem(req.get()));
  return out;
}

CertificateAuthority::CertificateAuthority(std::string cert_pem, std::string key_pem)
    : cert_pem_(std::move(cert_pem)), key_pem_(std::move(key_pem)) {}

absl::StatusOr<CertificateAuthority> CertificateAuthority::Create(absl::string_view cluster_name,
                                                                  absl::Duration lifetime) {
  if (cluster_name.empty()) return absl::InvalidArgumentError("a CA needs a cluster name");
  ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  NamePtr subject(X509_NAME_new());
  const std::string cn = absl::StrCat(cluster_name, " CA");
  if (subject == nullptr ||
      X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError(kInvalid, absl::StrCat("CA subject CN=", cn));
  }
  ASSIGN_OR_RETURN(X509Ptr cert, BuildCertificate(subject.get(), key.get(), nullptr, key.get(),
                                                  lifetime, Profile{.ca = true}));
  ASSIGN_OR_RETURN(std::string cert_pem, pki_internal::CertificatePem(cert.get()));
  ASSIGN_OR_RETURN(std::string key_pem, pki_internal::PrivateKeyPem(key.get()));
  return CertificateAuthority(std::move(cert_pem), std::move(key_pem));
}

absl::StatusOr<CertificateAuthority> CertificateAuthority::Load(absl::string_view cert_pem,
                                                                absl::string_view key_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the CA certificate"));
  RETURN_IF_ERROR(Annotate(CheckKeyMatchesCertificate(cert_pem, key_pem), "CA"));
  // A CA needs basicConstraints CA:TRUE and, when it limits key usage,
  // keyCertSign: what a verifier checks of the issuer of a chain.
  const bool is_ca = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  const bool may_sign = (X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN) != 0;
  if (!is_ca || !may_sign) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate \"", SubjectText(cert.get()), "\" is not a CA (",
                     !is_ca ? "no basicConstraints CA:TRUE" : "its keyUsage lacks keyCertSign",
                     "); give the CA's certificate, not one it issued"));
  }
  return CertificateAuthority(std::string(cert_pem), std::string(key_pem));
}

absl::StatusOr<KeyAndCertificate> CertificateAuthority::Issue(
    absl::string_view name, PeerRole role, absl::Duration lifetime,
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses) const {
  ASSIGN_OR_RETURN(X509Ptr ca_cert, ParseCertificate(cert_pem_, "the CA certificate"));
  ASSIGN_OR_RETURN(PkeyPtr ca_key, ParsePrivateKey(key_pem_, "the CA key"));
  ASSIGN_OR_RETURN(NamePtr subject, LeafSubject(name, role));
  ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  ASSIGN_OR_RETURN(
      X509Ptr cert,
      BuildCertificate(
          subject.get(), key.get(), ca_cert.get(), ca_key.get(), lifetime,
          Profile{.role = role, .dns_names = dns_names, .ip_addresses = ip_addresses}));
  KeyAndCertificate out;
  ASSIGN_OR_RETURN(out.key_pem, pki_internal::PrivateKeyPem(key.get()));
  ASSIGN_OR_RETURN(out.cert_pem, pki_internal::CertificatePem(cert.get()));
  return out;
}

absl::StatusOr<std::string> CertificateAuthority::Sign(absl::string_view csr_pem,
                                                       absl::string_view name, PeerRole role,
                                                       absl::Duration lifetime) const {
  ASSIGN_OR_RETURN(ReqPtr req, ParseRequest(csr_pem, "the certificate request"));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) return OpenSslError(kInvalid, "the certificate request has no public key");
  // Proof that the requester holds the key it wants certified.
  if (X509_REQ_verify(req.get(), key) != 1) {
    return OpenSslError(kInvalid,
                        "the certificate request's signature does not verify with its own key");
  }
  RETURN_IF_ERROR(CheckP256(key));
  ASSIGN_OR_RETURN(X509Ptr ca_cert, ParseCertificate(cert_pem_, "the CA certificate"));
  ASSIGN_OR_RETURN(PkeyPtr ca_key, ParsePrivateKey(key_pem_, "the CA key"));
  ASSIGN_OR_RETURN(NamePtr subject, LeafSubject(name, role));
  ASSIGN_OR_RETURN(X509Ptr cert, BuildCertificate(subject.get(), key, ca_cert.get(), ca_key.get(),
                                                  lifetime, Profile{.role = role}));
  return pki_internal::CertificatePem(cert.get());
}

absl::Status VerifyCertificate(absl::string_view cert_pem, absl::string_view ca_pem,
                               absl::Time now) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the certificate"));
  ASSIGN_OR_RETURN(X509Ptr ca, ParseCertificate(ca_pem, "the CA certificate"));
  ERR_clear_error();
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpenSslError(kInternal, "set up certificate verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  // The CA given is the trust anchor even when it is an intermediate of a
  // larger PKI.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return absl::UnauthenticatedError(
        absl::StrCat("certificate \"", SubjectText(cert.get()), "\" does not verify against CA \"",
                     SubjectText(ca.get()), "\": ", X509_verify_cert_error_string(error)));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyMatchesCertificate(absl::string_view cert_pem, absl::string_view key_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the certificate"));
  ASSIGN_OR_RETURN(PkeyPtr key, ParsePrivateKey(key_pem, "the key"));
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("the key is not the key of certificate \"", SubjectText(cert.get()), "\""));
  }
  return absl::OkStatus();
}

}  // namespace bamctl
