//! Header field bodies shaped like real ones, shared by the header unit
//! tests and benches/headers.rs (which pulls this file in with
//! `#[path = ...] mod vectors;`), so both judge the same text.

// Each includer uses only some of the vectors.
#![allow(dead_code)]

/// Gmail's `Authentication-Results`: DKIM, SPF and DMARC, each on its own
/// folded line.
pub const GMAIL: &str = " mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=AbCdEf12;\r\n       spf=pass (google.com: domain of x@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=x@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com\r\n";

/// Microsoft 365's `Authentication-Results`: no authserv-id, and a bare
/// `action=none`.
pub const MICROSOFT: &str = " spf=pass (sender IP is 1.2.3.4)\r\n smtp.mailfrom=example.com; dkim=pass (signature was verified)\r\n header.d=example.com;dmarc=pass action=none\r\n header.from=example.com;compauth=pass reason=100\r\n";

/// Fastmail's `Authentication-Results`, with its many x- methods.
pub const FASTMAIL: &str = " mx5.messagingengine.com;\r
    dkim=pass (2048-bit rsa key sha256) header.d=example.com\r
      header.i=@example.com header.b=Kx/9+aBc header.a=rsa-sha256\r
      header.s=fm1 x-bits=2048;\r
    dmarc=pass policy.published-domain-policy=none\r
      policy.applied-disposition=none policy.evaluated-disposition=none\r
      (p=none,d=none,d.eval=none) policy.policy-from=p\r
      header.from=example.com;\r
    iprev=pass smtp.remote-ip=2001:db8::25 (mail.example.com);\r
    spf=pass smtp.mailfrom=x@example.com smtp.helo=mail.example.com;\r
    x-aligned-from=pass (Address match);\r
    x-me-sender=none;\r
    x-return-mx=pass header.domain=example.com policy.is_org=yes\r
      (MX Records found: mx1.example.com,mx2.example.com);\r
    x-tls=pass smtp.version=TLSv1.3 smtp.cipher=TLS_AES_256_GCM_SHA384\r
      smtp.bits=256/256;\r
    x-vs=clean score=-100 state=0\r
";

/// OpenDKIM behind Postfix, with bare-LF line breaks.
pub const POSTFIX_OPENDKIM: &str = " mail.example.org;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=sel1 header.b=AbCdEfGh;\n\tdkim-atps=neutral\n";

/// The `DKIM-Signature` of RFC 6376 appendix A.2.
pub const RFC_6376_EXAMPLE: &str = " v=1; a=rsa-sha256; s=brisbane; d=example.com;\r
      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r
      h=Received : From : To : Subject : Date : Message-ID;\r
      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r
      4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r
      KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r
      4bmp/YzhwvcubU4=;\r
";

/// A Gmail-style `DKIM-Signature`, its signature cut short.
pub const GMAIL_DKIM: &str = " v=1; a=rsa-sha256; c=relaxed/relaxed;\r
        d=example.com; s=20230601; t=1700000000; x=1700604800; darn=example.org;\r
        h=to:subject:message-id:date:from:mime-version:imip-content-id:from:to:cc\r
         :subject:date:message-id:reply-to;\r
        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r
        b=AbCdEf12Gh+/IjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwx\r
         yzABCDEFGHIJKLMNOPQRSTUVWXYZ==\r
";

/// A Gmail-style `DKIM-Signature` with a signature of real length (2048-bit
/// key).
pub const GMAIL_DKIM_FULL_LENGTH: &str = " v=1; a=rsa-sha256; c=relaxed/relaxed;\r
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
