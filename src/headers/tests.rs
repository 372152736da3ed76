//! Authentication-Results and DKIM-Signature parsing on headers shaped like
//! the ones Gmail, Microsoft 365, Fastmail, Yahoo and Postfix with
//! OpenDKIM/OpenDMARC write, the RFC 8601 appendix B examples, and input that
//! must be rejected without panicking.

use crate::headers::authentication_results::{
    parse_all_authentication_results, parse_authentication_results, AuthenticationResults,
    HeaderError, Property, ResInfo, MAX_FIELD_LEN,
};
use crate::headers::dkim_signature::{parse_dkim_signature, DkimSignature};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::vectors::{
    FASTMAIL, GMAIL, GMAIL_DKIM, GMAIL_DKIM_FULL_LENGTH, MICROSOFT, POSTFIX_OPENDKIM,
    RFC_6376_EXAMPLE,
};

fn parse(value: &str) -> AuthenticationResults {
    parse_authentication_results(value)
        .unwrap_or_else(|err| panic!("{value:?} should parse: {err}"))
}

fn result<'a>(parsed: &'a AuthenticationResults, method: &'a str) -> &'a ResInfo {
    parsed
        .results_for(method)
        .next()
        .unwrap_or_else(|| panic!("no {method} result in {parsed:?}"))
}

fn property(ptype: &str, name: &str, value: &str) -> Property {
    Property {
        ptype: ptype.to_string(),
        name: name.to_string(),
        value: value.to_string(),
    }
}

#[test]
fn gmail() {
    let parsed = parse(GMAIL);
    assert_eq!(parsed.authserv_id, "mx.google.com");
    assert!(parsed.is_from("MX.Google.com"));
    assert_eq!(parsed.version, None);
    let methods: Vec<&str> = parsed.results.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["dkim", "spf", "dmarc"]);
    let dkim = result(&parsed, "dkim");
    assert!(dkim.passed());
    assert_eq!(
        dkim.properties,
        [
            property("header", "i", "@example.com"),
            property("header", "s", "20230601"),
            property("header", "b", "AbCdEf12"),
        ]
    );
    let spf = result(&parsed, "spf");
    assert_eq!(spf.reason, None, "a comment is not a reason");
    assert_eq!(spf.property("smtp", "mailfrom"), Some("x@example.com"));
    assert_eq!(
        result(&parsed, "dmarc").property("header", "from"),
        Some("example.com")
    );
}

#[test]
fn gmail_arc_and_two_signatures() {
    let parsed = parse(
        "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=\"Kx/9+aBc\";\r\n       dkim=fail header.i=@list.example.net header.s=s2 header.b=zz+/Qw12;\r\n       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass dkdomain=example.com dmarc=pass fromdomain=example.com);\r\n       spf=softfail (google.com: domain of transitioning x@example.com does not designate 1.2.3.4 as permitted sender) smtp.mailfrom=x@example.com",
    );
    let dkims: Vec<&ResInfo> = parsed.results_for("dkim").collect();
    assert_eq!(dkims.len(), 2);
    assert_eq!(dkims[0].property("header", "b"), Some("Kx/9+aBc"));
    assert_eq!(dkims[1].result, "fail");
    assert_eq!(dkims[1].property("header", "b"), Some("zz+/Qw12"));
    assert!(result(&parsed, "arc").properties.is_empty());
    assert_eq!(result(&parsed, "spf").result, "softfail");
}

#[test]
fn microsoft_without_authserv_id() {
    let parsed = parse(MICROSOFT);
    assert_eq!(
        parsed.authserv_id, "",
        "Microsoft 365 writes no authserv-id"
    );
    assert!(!parsed.is_from(""), "an empty id is never trusted");
    let methods: Vec<&str> = parsed.results.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["spf", "dkim", "dmarc", "compauth"]);
    assert_eq!(
        result(&parsed, "dkim").property("header", "d"),
        Some("example.com")
    );
    let dmarc = result(&parsed, "dmarc");
    assert_eq!(
        dmarc.properties,
        [
            property("", "action", "none"),
            property("header", "from", "example.com")
        ]
    );
    assert_eq!(result(&parsed, "compauth").reason.as_deref(), Some("100"));
}

#[test]
fn microsoft_failures() {
    let parsed = parse(
        "spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=fail action=oreject header.from=example.com;compauth=fail reason=000",
    );
    assert_eq!(result(&parsed, "dkim").result, "none");
    assert_eq!(
        result(&parsed, "dmarc").property("", "action"),
        Some("oreject")
    );
    assert_eq!(result(&parsed, "compauth").reason.as_deref(), Some("000"));
}

#[test]
fn fastmail() {
    let parsed = parse(FASTMAIL);
    assert_eq!(parsed.authserv_id, "mx5.messagingengine.com");
    assert_eq!(parsed.results.len(), 9);
    let dkim = result(&parsed, "dkim");
    assert_eq!(dkim.property("header", "b"), Some("Kx/9+aBc"));
    assert_eq!(dkim.property("", "x-bits"), Some("2048"));
    let dmarc = result(&parsed, "dmarc");
    assert_eq!(
        dmarc.property("policy", "published-domain-policy"),
        Some("none")
    );
    assert_eq!(dmarc.property("header", "from"), Some("example.com"));
    assert_eq!(
        result(&parsed, "iprev").property("smtp", "remote-ip"),
        Some("2001:db8::25")
    );
    assert_eq!(
        result(&parsed, "x-return-mx").property("policy", "is_org"),
        Some("yes")
    );
    assert_eq!(
        result(&parsed, "x-tls").property("smtp", "bits"),
        Some("256/256")
    );
    assert_eq!(result(&parsed, "x-vs").property("", "score"), Some("-100"));
}

#[test]
fn postfix_opendkim_and_opendmarc() {
    let parsed = parse(POSTFIX_OPENDKIM);
    assert_eq!(parsed.authserv_id, "mail.example.org");
    assert_eq!(
        result(&parsed, "dkim").property("header", "s"),
        Some("sel1")
    );
    assert_eq!(result(&parsed, "dkim-atps").result, "neutral");

    let dmarc = parse(
        " mail.example.org/4VxYz1234; dmarc=pass (p=reject dis=none) header.from=example.com",
    );
    assert_eq!(dmarc.authserv_id, "mail.example.org/4vxyz1234");
    assert_eq!(
        result(&dmarc, "dmarc").property("header", "from"),
        Some("example.com")
    );
}

#[test]
fn yahoo_comment_glued_to_result_and_trailing_semicolon() {
    let parsed = parse(
        "atlas-production.v2-mail-prod1-gq1.omega.yahoo.com;\r\n dkim=pass header.i=@gmail.com header.s=20230601;\r\n spf=pass smtp.mailfrom=gmail.com;\r\n dmarc=pass(p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com;\r\n",
    );
    assert_eq!(parsed.results.len(), 3);
    assert_eq!(
        result(&parsed, "dmarc").property("header", "from"),
        Some("gmail.com")
    );
}

#[test]
fn rfc_8601_appendix_b_examples() {
    let none = parse("example.org 1; none");
    assert_eq!(none.version, Some(1));
    assert!(none.results.is_empty());

    let spf = parse("example.com; spf=pass smtp.mailfrom=example.net");
    assert_eq!(
        result(&spf, "spf").property("smtp", "mailfrom"),
        Some("example.net")
    );

    let auth = parse("example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n          spf=pass smtp.mailfrom=example.net");
    assert_eq!(
        result(&auth, "auth").property("smtp", "auth"),
        Some("sender@example.net")
    );

    let iprev = parse("example.com;\r\n          iprev=pass\r\n          policy.iprev=192.0.2.200");
    assert_eq!(
        result(&iprev, "iprev").property("policy", "iprev"),
        Some("192.0.2.200")
    );

    let sender_id = parse(
        "example.com;\r\n          sender-id=fail header.from=example.com;\r\n          dkim=pass (good signature) header.d=example.com",
    );
    assert_eq!(result(&sender_id, "sender-id").result, "fail");

    let reasons = parse(
        "example.com;\r\n          dkim=pass reason=\"good signature\"\r\n            header.i=@mail-router.example.net;\r\n          dkim=fail reason=\"bad signature\"\r\n            header.i=@newyork.example.com",
    );
    let dkims: Vec<&ResInfo> = reasons.results_for("dkim").collect();
    assert_eq!(dkims[0].reason.as_deref(), Some("good signature"));
    assert_eq!(dkims[1].reason.as_deref(), Some("bad signature"));
    assert_eq!(
        dkims[1].property("header", "i"),
        Some("@newyork.example.com")
    );

    let heavy = parse(
        "foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n      policy (A dot can go here) . (like that) expired\r\n      (this surprised me) = (as I wasn't expecting it) 1362471462",
    );
    assert_eq!(heavy.authserv_id, "foo.example.net");
    assert_eq!(heavy.version, Some(1));
    let dkim = result(&heavy, "dkim");
    assert_eq!(
        (dkim.method_version, dkim.result.as_str()),
        (Some(1), "fail")
    );
    assert_eq!(
        dkim.properties,
        [property("policy", "expired", "1362471462")]
    );
}

#[test]
fn none_variants() {
    for value in [
        "mx.example.com; none",
        "mx.example.com; NONE",
        " mx.example.com ;\r\n\tnone ;\r\n",
        "mx.example.com (checked nothing); none (sorry)",
    ] {
        assert!(parse(value).results.is_empty(), "{value:?}");
    }
    // `none` followed by `=` is a method named none, not the marker.
    assert_eq!(parse("mx.example.com; none=pass").results.len(), 1);
    // A method whose name starts with "none" is a method.
    assert_eq!(
        result(&parse("mx.example.com; nonesuch=pass"), "nonesuch").result,
        "pass"
    );
}

#[test]
fn case_is_normalised_where_it_does_not_matter() {
    let parsed = parse("MX.Example.COM; DKIM=Pass Header.D=Example.COM REASON=\"Fine\"");
    assert_eq!(parsed.authserv_id, "mx.example.com");
    let dkim = result(&parsed, "dkim");
    assert_eq!(dkim.result, "pass");
    assert_eq!(dkim.properties, [property("header", "d", "Example.COM")]);
    assert_eq!(dkim.reason.as_deref(), Some("Fine"));
}

#[test]
fn quoted_values_comments_and_odd_values() {
    let parsed = parse(
        "mx.example.com; dkim/1=pass reason=\"said \\\"ok\\\"\" header.b=\"abc/+def\" (a (nested (comment)) here)\r\n header.i=\"john doe\"@example.com;\r\n spf=pass smtp.mailfrom=SRS0=AbCd=XY=example.com=user@forwarder.example;\r\n dmarc=pass header.from=b\u{fc}cher.example (\u{e9}t\u{e9})",
    );
    let dkim = result(&parsed, "dkim");
    assert_eq!(dkim.method_version, Some(1));
    assert_eq!(dkim.reason.as_deref(), Some("said \"ok\""));
    assert_eq!(dkim.property("header", "b"), Some("abc/+def"));
    assert_eq!(
        dkim.property("header", "i"),
        Some("\"john doe\"@example.com")
    );
    assert_eq!(
        result(&parsed, "spf").property("smtp", "mailfrom"),
        Some("SRS0=AbCd=XY=example.com=user@forwarder.example")
    );
    assert_eq!(
        result(&parsed, "dmarc").property("header", "from"),
        Some("b\u{fc}cher.example")
    );
}

#[test]
fn quoted_authserv_id_and_folded_quoted_string() {
    let parsed = parse("\"Mx.Example.Com\"; dkim=fail reason=\"key\r\n  revoked\"");
    assert_eq!(parsed.authserv_id, "mx.example.com");
    assert_eq!(
        result(&parsed, "dkim").reason.as_deref(),
        Some("key  revoked")
    );
}

#[test]
fn json_shape_for_analyze() {
    let parsed = parse(MICROSOFT);
    let value = serde_json::to_value(&parsed).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        value,
        json!({
            "authserv_id": "",
            "results": [
                {"method": "spf", "result": "pass", "reason": null,
                 "properties": [{"type": "smtp", "name": "mailfrom", "value": "example.com"}]},
                {"method": "dkim", "result": "pass", "reason": null,
                 "properties": [{"type": "header", "name": "d", "value": "example.com"}]},
                {"method": "dmarc", "result": "pass", "reason": null,
                 "properties": [{"type": "", "name": "action", "value": "none"},
                                {"type": "header", "name": "from", "value": "example.com"}]},
                {"method": "compauth", "result": "pass", "reason": "100", "properties": []}
            ]
        })
    );
}

#[test]
fn several_headers_keep_their_own_outcome() {
    let outcomes = parse_all_authentication_results([GMAIL, "garbage here", POSTFIX_OPENDKIM]);
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes[0].is_ok());
    assert!(outcomes[1].is_err());
    assert!(outcomes[2].is_ok());
}

fn expected_at(value: &str) -> (&'static str, usize) {
    match parse_authentication_results(value) {
        Err(HeaderError::Expected { expected, offset }) => (expected, offset),
        other => panic!("{value:?} should be rejected with an offset, got {other:?}"),
    }
}

#[test]
fn garbage_is_rejected_with_what_and_where() {
    assert_eq!(expected_at("").1, 0);
    assert_eq!(expected_at("   ").1, 3);
    assert_eq!(expected_at("mx.example.com").1, 14);
    assert_eq!(
        expected_at("mx.example.com; dkim"),
        ("`=` after the method name", 20)
    );
    assert_eq!(
        expected_at("mx.example.com; dkim="),
        ("a result such as `pass`", 21)
    );
    assert_eq!(
        expected_at("mx.example.com; dkim=pass header.d"),
        ("`=` after the property name", 34)
    );
    assert_eq!(
        expected_at("mx.example.com; dkim=pass header.d="),
        ("a property value", 35)
    );
    assert_eq!(expected_at("mx.example.com; dkim=pass reason=").1, 33);
    assert_eq!(
        expected_at("mx.example.com; dkim=pass (unterminated"),
        ("`)` closing the comment", 39)
    );
    assert_eq!(
        expected_at("mx.example.com; dkim=pass reason=\"open"),
        ("`\"` closing the quoted string", 38)
    );
    assert_eq!(
        expected_at("mx.example.com; dkim=pass header.d=example.com garbage").1,
        47
    );
    assert_eq!(expected_at("mx.example.com; none; dkim=pass").1, 22);
    assert_eq!(expected_at("mx.example.com 99999999999; none").1, 15);
    assert_eq!(expected_at("<html><body>").1, 12);
    assert_eq!(expected_at("mx.example.com; dkim=pass)").1, 25);
    assert_eq!(
        expected_at("mx.example.com; dkim=pass header.d=a\u{0}b").1,
        36
    );
}

#[test]
fn deep_comments_and_long_fields_are_bounded() {
    let deep = format!(
        "mx.example.com; dkim=pass {}x{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(matches!(
        parse_authentication_results(&deep),
        Err(HeaderError::Expected {
            expected: "comments nested at most 16 deep",
            ..
        })
    ));

    let too_long = format!(
        "mx.example.com; dkim=pass header.d={}",
        "a".repeat(MAX_FIELD_LEN)
    );
    assert!(matches!(
        parse_authentication_results(&too_long),
        Err(HeaderError::TooLong { .. })
    ));
    assert!(matches!(
        parse_dkim_signature(&too_long),
        Err(HeaderError::TooLong { .. })
    ));

    // Just under the limit, many results and properties still parse.
    let mut big = String::from("mx.example.com");
    while big.len() < MAX_FIELD_LEN - 200 {
        big.push_str("; dkim=pass (c) header.d=example.com header.b=AbCdEf12\r\n ");
    }
    assert!(parse(&big).results.len() > 500);
}

#[test]
fn random_input_never_panics() {
    let alphabet: Vec<char> = "ab;=.()\"\\ \t\r\n@/+-_1é;=()".chars().collect();
    let seeds = [
        GMAIL,
        MICROSOFT,
        FASTMAIL,
        POSTFIX_OPENDKIM,
        RFC_6376_EXAMPLE,
        GMAIL_DKIM,
    ];
    let mut rng = StdRng::seed_from_u64(6);
    for _ in 0..20_000 {
        let text: String = if rng.gen_bool(0.5) {
            let len = rng.gen_range(0..60);
            (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect()
        } else {
            // A real header with a few characters replaced or removed.
            let mut chars: Vec<char> = seeds[rng.gen_range(0..seeds.len())].chars().collect();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..chars.len());
                if rng.gen_bool(0.5) {
                    chars[at] = alphabet[rng.gen_range(0..alphabet.len())];
                } else {
                    chars.remove(at);
                }
            }
            chars.into_iter().collect()
        };
        let _ = parse_authentication_results(&text);
        let _ = parse_dkim_signature(&text);
    }
}

fn dkim(value: &str) -> DkimSignature {
    parse_dkim_signature(value).unwrap_or_else(|err| panic!("{value:?} should parse: {err}"))
}

#[test]
fn dkim_rfc_6376_example() {
    let signature = dkim(RFC_6376_EXAMPLE);
    assert_eq!(signature.domain, "example.com");
    assert_eq!(
        signature.identity.as_deref(),
        Some("joe@football.example.com")
    );
    assert_eq!(signature.selector.as_deref(), Some("brisbane"));
    assert_eq!(
        signature.signed_headers,
        ["received", "from", "to", "subject", "date", "message-id"]
    );
    assert!(signature.covers("FROM"));
    assert!(!signature.covers("iMIP-Content-ID"));
    assert_eq!(
        signature.signature_b64,
        "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHutKVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV4bmp/YzhwvcubU4="
    );
}

#[test]
fn dkim_gmail_style() {
    let signature = dkim(GMAIL_DKIM);
    assert_eq!(signature.domain, "example.com");
    assert_eq!(signature.identity, None);
    assert_eq!(signature.effective_identity(), "@example.com");
    assert!(signature.covers("iMIP-Content-ID"));
    assert_eq!(
        signature
            .signed_headers
            .iter()
            .filter(|h| *h == "from")
            .count(),
        2
    );
    assert!(signature.signature_b64.starts_with("AbCdEf12Gh+/"));
    assert!(signature.signature_b64.ends_with("XYZ=="));
    assert!(!signature.signature_b64.contains(char::is_whitespace));
}

#[test]
fn dkim_full_length_signature() {
    let signature = dkim(GMAIL_DKIM_FULL_LENGTH);
    assert_eq!(signature.selector.as_deref(), Some("20230601"));
    assert!(signature.signature_b64.ends_with("ab=="));
    assert!(!signature.signature_b64.contains(char::is_whitespace));
}

#[test]
fn dkim_microsoft_style_and_lenient_bits() {
    let signature = dkim(
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=Contoso.onmicrosoft.com;\r\n s=selector1-contoso-onmicrosoft-com;\r\n h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-SenderADCheck;\r\n bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=;\r\n b=VbYPkF7f6oAcqTcyCmvs0Lnk8xVwuElQ2aCqHl/rL8xWAVyQX3VWnahCl5IVpI5xgmLBnUXGUVEYxrqRIo6nqgmnPAyGsdXF7shg9tVH5opNoyzCBTdQ+79XZgA0VUf3gERlgj7SAvNi/V4OfGQ2ioyQzvfHzkjMwOeUTBT6/A0=",
    );
    assert_eq!(signature.domain, "contoso.onmicrosoft.com");
    assert_eq!(
        signature.selector.as_deref(),
        Some("selector1-contoso-onmicrosoft-com")
    );
    assert!(signature.covers("x-ms-exchange-senderadcheck"));

    // Unknown tags (including a z= copy with odd characters) are ignored;
    // `D=` is a different tag from `d=`; a trailing `;` and line break are fine.
    let signature =
        dkim("d=example.com; h=from; b=QUJD; D=other.example; z=From:=20a|To:=20b; s=mail_2021; x_new=caf\u{e9};\r\n");
    assert_eq!(signature.domain, "example.com");
    assert_eq!(signature.selector.as_deref(), Some("mail_2021"));
}

#[test]
fn dkim_errors() {
    assert_eq!(
        parse_dkim_signature("h=from; b=QUJD"),
        Err(HeaderError::MissingTag { tag: "d" })
    );
    assert_eq!(
        parse_dkim_signature("d=example.com; b=QUJD"),
        Err(HeaderError::MissingTag { tag: "h" })
    );
    assert_eq!(
        parse_dkim_signature("d=example.com; h=from"),
        Err(HeaderError::MissingTag { tag: "b" })
    );
    assert_eq!(
        parse_dkim_signature("d=example.com; h=from; b=QUJD; d=evil.example"),
        Err(HeaderError::DuplicateTag {
            tag: "d".to_string(),
            offset: 31
        })
    );
    let invalid = |value: &str| match parse_dkim_signature(value) {
        Err(HeaderError::InvalidTagValue { tag, offset, .. }) => (tag, offset),
        other => panic!("{value:?}: {other:?}"),
    };
    assert_eq!(invalid("d=; h=from; b=QUJD"), ("d", 2));
    assert_eq!(invalid("d=localhost; h=from; b=QUJD"), ("d", 2));
    assert_eq!(invalid("d=-bad.example; h=from; b=QUJD"), ("d", 2));
    assert_eq!(invalid("d=example.com; h=from::to; b=QUJD"), ("h", 22));
    assert_eq!(invalid("d=example.com; h=from; b=QU$D"), ("b", 27));
    assert_eq!(invalid("d=example.com; h=from; b="), ("b", 25));
    assert_eq!(invalid("d=example.com; h=from; b=QUJD; i=user"), ("i", 37));
    assert_eq!(invalid("d=example.com; h=from; b=QUJD; s=a..b"), ("s", 34));

    let expected = |value: &str| match parse_dkim_signature(value) {
        Err(HeaderError::Expected { offset, .. }) => offset,
        other => panic!("{value:?}: {other:?}"),
    };
    assert_eq!(expected(""), 0);
    assert_eq!(expected("hello"), 5);
    assert_eq!(expected("d=example.com;; h=from"), 14);
    assert_eq!(expected("d=example.com; =x"), 15);
    assert_eq!(expected("1=x"), 0);
}

#[test]
fn dkim_result_matching_rfc_6008() {
    let gmail = parse(GMAIL);
    let gmail_dkim = result(&gmail, "dkim");
    let ours = dkim(GMAIL_DKIM);
    assert!(
        ours.matches_result(gmail_dkim),
        "header.i, header.s and header.b agree"
    );

    let same_domain_other_key = dkim("d=example.com; s=20230601; h=from; b=ZZCdEf12Gh");
    assert!(
        !same_domain_other_key.matches_result(gmail_dkim),
        "header.b differs"
    );

    let other_selector = dkim("d=example.com; s=old; h=from; b=AbCdEf12Gh");
    assert!(
        !other_selector.matches_result(gmail_dkim),
        "header.s differs"
    );

    let rfc = dkim(RFC_6376_EXAMPLE);
    let reports = parse(
        "mx.example.org; dkim=pass header.i=JOE@football.example.com header.b=AuUoFEfD; dkim=pass header.d=EXAMPLE.com header.b=AuUoFEfX; dkim=pass header.d=example.com header.b=AuUo; dkim=pass header.d=example.com; dkim=pass header.d=other.example; spf=pass header.d=example.com; dkim=pass header.s=brisbane",
    );
    let verdicts: Vec<bool> = reports
        .results
        .iter()
        .map(|r| rfc.matches_result(r))
        .collect();
    assert_eq!(verdicts, [true, false, false, true, false, false, false]);

    // header.i defaults to `@` + d= when the signature has no i=.
    let microsoft = parse(MICROSOFT);
    let signed = dkim("d=example.com; h=from; b=QUJDREVGR0g=");
    assert!(signed.matches_result(result(&microsoft, "dkim")));
    let by_identity = parse("mx.example.org; dkim=pass header.i=@Example.com");
    assert!(signed.matches_result(result(&by_identity, "dkim")));
}

/// The intended wiring: mail-parser's raw top-level field bodies (folded,
/// with their line break) go straight into the parsers.
#[test]
fn raw_field_bodies_from_mail_parser() {
    let raw = format!(
        "Authentication-Results:{GMAIL}Authentication-Results: mx.example.org; none\r\nDKIM-Signature:{RFC_6376_EXAMPLE}From: Joe <joe@football.example.com>\r\nSubject: hi\r\n\r\nbody\r\n"
    );
    let message = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("mail-parser rejected the message"));
    let field_bodies = |wanted: &str| -> Vec<&str> {
        message
            .headers_raw()
            .filter(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, body)| body)
            .collect()
    };
    let outcomes = parse_all_authentication_results(field_bodies("Authentication-Results"));
    let parsed: Vec<AuthenticationResults> = outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|err| panic!("{err}")))
        .collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].authserv_id, "mx.google.com");
    assert!(parsed[1].results.is_empty());

    let signatures: Vec<DkimSignature> = field_bodies("DKIM-Signature")
        .into_iter()
        .map(dkim)
        .collect();
    assert_eq!(signatures.len(), 1);
    assert!(signatures[0].covers("from"));
}

/// Every Authentication-Results and DKIM-Signature field in the shared corpus
/// of real mail parses (the corpus is read in place, never copied).
#[test]
fn shared_corpus_headers_parse() {
    let Some(corpus) = crate::test_support::shared_path("corpus") else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        panic!("{} cannot be read", corpus.display());
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    let mut seen = 0;
    for file in files {
        let raw = std::fs::read(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let Some(message) = mail_parser::MessageParser::default().parse(&raw) else {
            continue;
        };
        for (name, body) in message.headers_raw() {
            let outcome = if name.eq_ignore_ascii_case("Authentication-Results") {
                parse_authentication_results(body).map(|_| ())
            } else if name.eq_ignore_ascii_case("DKIM-Signature") {
                parse_dkim_signature(body).map(|_| ())
            } else {
                continue;
            };
            seen += 1;
            if let Err(err) = outcome {
                panic!("{}: {name}:{body}\n{err}", file.display());
            }
        }
    }
    eprintln!("{seen} corpus header fields parsed");
}

#[test]
fn rspamd_style() {
    let parsed = parse(
        " mx.example.net;\n\tdkim=pass header.d=outlook.com header.s=selector1 header.b=Om6GTgV1;\n\tdmarc=pass (policy=none) header.from=outlook.com;\n\tarc=pass (\"microsoft.com:s=arcselector9901:i=1\");\n\tspf=pass (mx.example.net: domain of someone@outlook.com designates 192.0.2.7 as permitted sender) smtp.mailfrom=someone@outlook.com\n",
    );
    assert_eq!(parsed.results.len(), 4);
    assert!(result(&parsed, "arc").properties.is_empty());
    assert_eq!(
        result(&parsed, "dkim").property("header", "b"),
        Some("Om6GTgV1")
    );
}
