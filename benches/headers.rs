//! Cost of parsing one header field: a typical Gmail and Microsoft 365
//! `Authentication-Results` and a Gmail-style `DKIM-Signature`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sieve_imip::headers::authentication_results::parse_authentication_results;
use sieve_imip::headers::dkim_signature::parse_dkim_signature;

const GMAIL_AUTHENTICATION_RESULTS: &str = " mx.google.com;\r
       dkim=pass header.i=@example.com header.s=20230601 header.b=AbCdEf12;\r
       spf=pass (google.com: domain of organizer@example.com designates 192.0.2.10 as permitted sender) smtp.mailfrom=organizer@example.com;\r
       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com\r
";

const MICROSOFT_AUTHENTICATION_RESULTS: &str = " spf=pass (sender IP is 192.0.2.10)\r
 smtp.mailfrom=example.com; dkim=pass (signature was verified)\r
 header.d=example.com;dmarc=pass action=none\r
 header.from=example.com;compauth=pass reason=100\r
";

const DKIM_SIGNATURE: &str = " v=1; a=rsa-sha256; c=relaxed/relaxed;\r
        d=example.com; s=20230601; t=1700000000; x=1700604800; darn=example.org;\r
        h=to:subject:message-id:date:from:mime-version:imip-content-id:from:to:cc\r
         :subject:date:message-id:reply-to;\r
        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r
        b=AbCdEf12Gh+/IjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwx\r
         yzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzAB\r
         CDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEF\r
         GHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\r
         KLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN\r
         OPQRSTUVWXYZ0123456789ab==\r
";

fn header_parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    group.throughput(Throughput::Elements(1));
    group.bench_function("authentication_results_gmail", |b| {
        b.iter(|| parse_authentication_results(black_box(GMAIL_AUTHENTICATION_RESULTS)))
    });
    group.bench_function("authentication_results_microsoft", |b| {
        b.iter(|| parse_authentication_results(black_box(MICROSOFT_AUTHENTICATION_RESULTS)))
    });
    group.bench_function("dkim_signature", |b| {
        b.iter(|| parse_dkim_signature(black_box(DKIM_SIGNATURE)))
    });
    group.finish();
}

criterion_group!(benches, header_parsing);
criterion_main!(benches);
