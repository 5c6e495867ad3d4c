//! Stubs for the edge services moto does not emulate faithfully enough for the checks.
//!
//! CloudFront: moto's distribution configs never include an origin's `S3OriginConfig`
//! (so an S3 origin cannot be told from the rest), so this stub answers
//! `ListDistributions` and `GetDistributionConfig` with one hardened (`good-cdn...`) and
//! one weak (`bad-cdn...`) distribution, shaped as the API reference documents them:
//! https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDistributions.html
//! https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_GetDistributionConfig.html

use super::harness::{Message, Reply, Stub};

const NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// The stubbed edge services and the endpoint variables that point the SDK at them.
pub struct EdgeStubs {
    cloudfront: Stub,
}

impl EdgeStubs {
    /// Starts every stub.
    pub fn start() -> EdgeStubs {
        EdgeStubs {
            cloudfront: cloudfront_stub(),
        }
    }

    /// `AWS_ENDPOINT_URL_<SERVICE>` variables for the stubbed services.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        vec![("AWS_ENDPOINT_URL_CLOUDFRONT", self.cloudfront.url.as_str())]
    }
}

/// One distribution of the stub: id, alias and the parts of its configuration.
struct Dist {
    id: &'static str,
    alias: &'static str,
    root: &'static str,
    web_acl: &'static str,
    logging: &'static str,
    viewer_policy: &'static str,
    tls: &'static str,
    s3_oai: &'static str,
    origin_policy: &'static str,
    origin_protocols: &'static [&'static str],
}

const DISTS: [Dist; 2] = [
    Dist {
        id: "E1GOODCDN00001",
        alias: "good-cdn.example.com",
        root: "index.html",
        web_acl: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/good-edge/a1b2c3d4",
        logging: "<Enabled>true</Enabled><IncludeCookies>false</IncludeCookies><Bucket>good-bucket-logs.s3.amazonaws.com</Bucket><Prefix>cdn/</Prefix>",
        viewer_policy: "redirect-to-https",
        tls: "TLSv1.2_2021",
        s3_oai: "origin-access-identity/cloudfront/E2OAIEXAMPLE",
        origin_policy: "https-only",
        origin_protocols: &["TLSv1.2"],
    },
    // Plain HTTP to viewers and to the origin, SSLv3 allowed to the origin, TLS 1.0
    // viewers, an S3 origin read anonymously without a root object, no logs, no WAF.
    Dist {
        id: "E1BADCDN000001",
        alias: "bad-cdn.example.com",
        root: "",
        web_acl: "",
        logging: "<Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix>",
        viewer_policy: "allow-all",
        tls: "TLSv1_2016",
        s3_oai: "",
        origin_policy: "http-only",
        origin_protocols: &["SSLv3", "TLSv1.2"],
    },
];

fn origins(d: &Dist) -> String {
    let protocols: String = d
        .origin_protocols
        .iter()
        .map(|p| format!("<SslProtocol>{p}</SslProtocol>"))
        .collect();
    format!(
        "<Origins><Quantity>2</Quantity><Items>\
         <Origin><Id>assets</Id><DomainName>good-bucket.s3.us-east-1.amazonaws.com</DomainName><OriginPath></OriginPath>\
         <CustomHeaders><Quantity>0</Quantity></CustomHeaders>\
         <S3OriginConfig><OriginAccessIdentity>{oai}</OriginAccessIdentity></S3OriginConfig>\
         <ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout><OriginAccessControlId></OriginAccessControlId></Origin>\
         <Origin><Id>web</Id><DomainName>web.example.com</DomainName><OriginPath></OriginPath>\
         <CustomHeaders><Quantity>0</Quantity></CustomHeaders>\
         <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>{policy}</OriginProtocolPolicy>\
         <OriginSslProtocols><Quantity>{n}</Quantity><Items>{protocols}</Items></OriginSslProtocols>\
         <OriginReadTimeout>30</OriginReadTimeout><OriginKeepaliveTimeout>5</OriginKeepaliveTimeout></CustomOriginConfig>\
         <ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout><OriginAccessControlId></OriginAccessControlId></Origin>\
         </Items></Origins>",
        oai = d.s3_oai,
        policy = d.origin_policy,
        n = d.origin_protocols.len(),
    )
}

/// The elements DistributionSummary and DistributionConfig share.
fn common(d: &Dist) -> String {
    format!(
        "<Aliases><Quantity>1</Quantity><Items><CNAME>{alias}</CNAME></Items></Aliases>\
         {origins}\
         <DefaultCacheBehavior><TargetOriginId>assets</TargetOriginId><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>\
         <ViewerProtocolPolicy>{viewer}</ViewerProtocolPolicy><Compress>true</Compress>\
         <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>\
         <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern><TargetOriginId>web</TargetOriginId>\
         <ViewerProtocolPolicy>https-only</ViewerProtocolPolicy><CachePolicyId>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</CachePolicyId></CacheBehavior></Items></CacheBehaviors>\
         <CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>",
        alias = d.alias,
        origins = origins(d),
        viewer = d.viewer_policy,
    )
}

fn viewer_certificate(d: &Dist) -> String {
    format!(
        "<ViewerCertificate><CloudFrontDefaultCertificate>false</CloudFrontDefaultCertificate>\
         <ACMCertificateArn>arn:aws:acm:us-east-1:123456789012:certificate/{id}</ACMCertificateArn>\
         <SSLSupportMethod>sni-only</SSLSupportMethod><MinimumProtocolVersion>{tls}</MinimumProtocolVersion>\
         <CertificateSource>acm</CertificateSource></ViewerCertificate>",
        id = d.id,
        tls = d.tls,
    )
}

fn summary(d: &Dist) -> String {
    format!(
        "<DistributionSummary><Id>{id}</Id><ARN>arn:aws:cloudfront::123456789012:distribution/{id}</ARN>\
         <Status>Deployed</Status><LastModifiedTime>2026-01-15T09:30:00Z</LastModifiedTime>\
         <DomainName>{lower}.cloudfront.net</DomainName>{common}<Comment>{alias}</Comment>\
         <PriceClass>PriceClass_All</PriceClass><Enabled>true</Enabled>{cert}\
         <Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>\
         <WebACLId>{acl}</WebACLId><HttpVersion>http2</HttpVersion><IsIPV6Enabled>true</IsIPV6Enabled><Staging>false</Staging></DistributionSummary>",
        id = d.id,
        lower = d.id.to_ascii_lowercase(),
        common = common(d),
        alias = d.alias,
        cert = viewer_certificate(d),
        acl = d.web_acl,
    )
}

fn config(d: &Dist) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <DistributionConfig xmlns=\"{NS}\"><CallerReference>{id}</CallerReference>{common}\
         <DefaultRootObject>{root}</DefaultRootObject><Comment>{alias}</Comment>\
         <Logging>{logging}</Logging><PriceClass>PriceClass_All</PriceClass><Enabled>true</Enabled>{cert}\
         <Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>\
         <WebACLId>{acl}</WebACLId><HttpVersion>http2</HttpVersion><IsIPV6Enabled>true</IsIPV6Enabled><Staging>false</Staging></DistributionConfig>",
        id = d.id,
        common = common(d),
        root = d.root,
        alias = d.alias,
        logging = d.logging,
        cert = viewer_certificate(d),
        acl = d.web_acl,
    )
}

fn xml(status: u16, body: String) -> Reply {
    Reply {
        status,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            ("ETag".into(), "E2QWRUHEXAMPLE".into()),
        ],
        body: body.into_bytes(),
    }
}

/// CloudFront's REST-XML API: the distribution list and each distribution's config.
fn cloudfront_stub() -> Stub {
    Stub::start(|req: &Message| {
        let path = req.path.split('?').next().unwrap_or_default();
        if req.method != "GET" {
            return xml(400, "<ErrorResponse/>".into());
        }
        if path == "/2020-05-31/distribution" {
            let items: String = DISTS.iter().map(summary).collect();
            return xml(
                200,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                     <DistributionList xmlns=\"{NS}\"><Marker></Marker><MaxItems>100</MaxItems>\
                     <IsTruncated>false</IsTruncated><Quantity>{n}</Quantity><Items>{items}</Items></DistributionList>",
                    n = DISTS.len(),
                ),
            );
        }
        let id = path
            .strip_prefix("/2020-05-31/distribution/")
            .and_then(|p| p.strip_suffix("/config"));
        match id.and_then(|id| DISTS.iter().find(|d| d.id == id)) {
            Some(d) => xml(200, config(d)),
            None => xml(
                404,
                format!(
                    "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type>\
                     <Code>NoSuchDistribution</Code><Message>The specified distribution does not exist.</Message></Error></ErrorResponse>"
                ),
            ),
        }
    })
}
