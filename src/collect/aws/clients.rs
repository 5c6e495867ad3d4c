//! SDK configuration and service clients: the default credential chain, retries sized
//! for throttling, path-style S3 and an s3control endpoint that works with an endpoint
//! override.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_smithy_runtime::client::retries::RetryPartition;
use aws_smithy_runtime::client::retries::TokenBucket;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::collect::request::AwsRequest;

/// Attempts per call (the SDK default of 3 is too few under heavy throttling).
const MAX_ATTEMPTS: u32 = 10;

/// Loads the SDK configuration: default chain, `--profile`, retries.
pub(crate) async fn load_sdk_config(args: &AwsRequest) -> SdkConfig {
    // Adaptive mode: the standard exponential backoff plus a client-side token bucket
    // that starts refilling more slowly after a throttling reply and recovers as calls
    // succeed (see `Clients::partition` for how buckets are split). It only engages
    // after a first throttling reply, so an unthrottled scan runs at full speed.
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::adaptive()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(20)),
    );
    if let Some(p) = &args.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = args.regions.first() {
        loader = loader.region(Region::new(r.clone()));
    }
    // Every client of the scan (member accounts' and credential providers' included)
    // shares one HTTP client and so one limit on requests in flight.
    let http = super::limit::Limited::new(default_http_client(), args.max_concurrency);
    loader.http_client(http).load().await
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, proxies from the
/// environment), built here so that it can be wrapped.
fn default_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{ConnectorBuilder, proxy::ProxyConfig, tls};
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            conn.set_sleep_impl(c.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// Builds service clients on demand, one per (service, region), sharing one SDK
/// configuration; each (service, region) has its own retry partition and so its own
/// adaptive rate limiter.
pub(crate) struct Clients {
    sdk: SdkConfig,
    /// The region used for global services (IAM, STS, S3 listing, s3control).
    pub home_region: String,
    partitions: Mutex<HashMap<(&'static str, String), RetryPartition>>,
    s3: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

/// An SDK service client that [`Clients::client`] builds. A service module implements it
/// for its client with [`sdk_client!`](crate::collect::aws::clients::sdk_client).
pub(crate) trait SdkClient {
    /// The service's name: its retry partition, one per region.
    const SERVICE: &'static str;
    /// A client of the shared configuration in `region`, retrying in `partition`.
    fn build(sdk: &SdkConfig, region: Region, partition: RetryPartition) -> Self;
}

/// `sdk_client!("lambda", aws_sdk_lambda);` makes `aws_sdk_lambda::Client` buildable by
/// [`Clients::client`], with its retry partition named `lambda`.
macro_rules! sdk_client {
    ($service:literal, $krate:ident) => {
        impl $crate::collect::aws::clients::SdkClient for $krate::Client {
            const SERVICE: &'static str = $service;
            fn build(
                sdk: &aws_types::SdkConfig,
                region: aws_types::region::Region,
                partition: aws_smithy_runtime::client::retries::RetryPartition,
            ) -> Self {
                let conf = $krate::config::Builder::from(sdk)
                    .region(region)
                    .retry_partition(partition)
                    .build();
                $krate::Client::from_conf(conf)
            }
        }
    };
}
pub(crate) use sdk_client;

impl Clients {
    /// Wraps an SDK configuration.
    pub(crate) fn new(sdk: SdkConfig, home_region: String) -> Self {
        Clients {
            sdk,
            home_region,
            partitions: Mutex::new(HashMap::new()),
            s3: Mutex::new(HashMap::new()),
        }
    }

    /// The retry partition of one service in one region of this account. AWS throttles
    /// each API per account and region, so each (service, region) adapts on its own: IAM
    /// throttling slows IAM calls, not S3's. Throttling never exhausts the retry quota
    /// (an unlimited retry token bucket): a scan under throttling has to report exactly
    /// what an unthrottled one does, only later. Backoff and the adaptive rate still apply.
    fn partition(&self, service: &'static str, region: &str) -> RetryPartition {
        let build = || {
            RetryPartition::custom(format!("mamori-{service}-{region}"))
                .token_bucket(TokenBucket::unlimited())
                .build()
        };
        match self.partitions.lock() {
            Ok(mut map) => map
                .entry((service, region.to_string()))
                .or_insert_with(build)
                .clone(),
            Err(_) => build(),
        }
    }

    /// An STS client: few attempts, so that refused or unreachable credentials fail fast.
    pub(crate) fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// A client of service `C` in `region`, in the (service, region) retry partition.
    pub(crate) fn client<C: SdkClient>(&self, region: &str) -> C {
        C::build(
            &self.sdk,
            Region::new(region.to_string()),
            self.partition(C::SERVICE, region),
        )
    }

    /// Whether an endpoint override (`AWS_ENDPOINT_URL`, ...) is configured.
    fn endpoint_override(&self, service_env: &str) -> Option<String> {
        std::env::var(format!("AWS_ENDPOINT_URL_{service_env}"))
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.sdk.endpoint_url().map(str::to_string))
    }

    /// An S3 client for `region` (cached); path-style addressing with an endpoint override.
    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        if let Ok(map) = self.s3.lock()
            && let Some(c) = map.get(region)
        {
            return c.clone();
        }
        let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition("s3", region));
        if self.endpoint_override("S3").is_some() {
            b = b.force_path_style(true);
        }
        let client = aws_sdk_s3::Client::from_conf(b.build());
        if let Ok(mut map) = self.s3.lock() {
            map.insert(region.to_string(), client.clone());
        }
        client
    }

    /// An s3control client. With an endpoint override the endpoint rules would put the
    /// account id in front of the host (`123456789012.127.0.0.1`), which cannot resolve;
    /// the override URL is then used as it is (the account id still travels in the
    /// `x-amz-account-id` header).
    pub(crate) fn s3control(&self) -> aws_sdk_s3control::Client {
        let mut b = aws_sdk_s3control::config::Builder::from(&self.sdk)
            .region(Region::new(self.home_region.clone()))
            .retry_partition(self.partition("s3control", &self.home_region));
        if let Some(url) = self.endpoint_override("S3_CONTROL") {
            b = b.endpoint_resolver(FixedEndpoint(url));
        }
        aws_sdk_s3control::Client::from_conf(b.build())
    }
}

/// An s3control endpoint resolver that always answers one URL.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_s3control::config::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}
