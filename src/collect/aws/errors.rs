//! Turning SDK errors into [`CollectionError`]s.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::inventory::{CollectionError, Provider};

use super::Ctx;

/// The service error code of a failed call (`AccessDenied`, `NoSuchBucketPolicy`, ...),
/// or a description of the transport failure.
pub(crate) fn code<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata,
{
    if let Some(c) = err.code() {
        return c.to_string();
    }
    match err {
        SdkError::ConstructionFailure(_) => "ConstructionFailure",
        SdkError::TimeoutError(_) => "Timeout",
        SdkError::DispatchFailure(_) => "DispatchFailure",
        SdkError::ResponseError(_) => "ResponseError",
        _ => "Unknown",
    }
    .to_string()
}

/// A readable message for a failed call.
pub(crate) fn message<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.message() {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => {
            // The full context repeats the raw response; keep the first part.
            let full = aws_smithy_types::error::display::DisplayErrorContext(err).to_string();
            match full.char_indices().nth(300) {
                Some((i, _)) => format!("{}...", &full[..i]),
                None => full,
            }
        }
    }
}

/// Whether the call failed with one of these service error codes.
pub(crate) fn is_code<E, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool
where
    E: ProvideErrorMetadata,
{
    err.code().is_some_and(|c| codes.contains(&c))
}

/// Where a failed call happened and what it leaves incomplete.
pub(crate) struct Op<'a> {
    /// Service, e.g. `s3`.
    pub service: &'static str,
    /// Region, `None` for global calls.
    pub region: Option<&'a str>,
    /// API operation, e.g. `GetBucketPolicy`.
    pub operation: &'static str,
    /// Resource kinds left incomplete.
    pub kinds: &'static [&'static str],
}

impl Op<'_> {
    /// The collection error of this operation in `scope` (no resource, no field gap).
    pub(crate) fn error(&self, scope: &str, code: String, message: String) -> CollectionError {
        CollectionError {
            provider: Provider::Aws,
            scope: scope.to_string(),
            service: self.service.to_string(),
            region: self.region.map(str::to_string),
            operation: self.operation.to_string(),
            code,
            message,
            kinds: self.kinds.iter().map(|k| k.to_string()).collect(),
            resource_id: None,
            fields: Vec::new(),
        }
    }

    /// Records `err` as a collection error (for one resource when `resource_id` is set).
    pub(crate) fn fail<E, R>(&self, ctx: &Ctx, err: &SdkError<E, R>, resource_id: Option<&str>)
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        self.fail_with(ctx, &code(err), message(err), resource_id);
    }

    /// Records a failure that is not an SDK error (e.g. an unreadable report).
    pub(crate) fn fail_with(
        &self,
        ctx: &Ctx,
        code: &str,
        message: impl Into<String>,
        resource_id: Option<&str>,
    ) {
        ctx.record(CollectionError {
            resource_id: resource_id.map(str::to_string),
            ..self.error(&ctx.account, code.to_string(), message.into())
        });
    }

    /// Records an item this listing returned without its `field` (its id): the item is
    /// left out rather than given a made-up id, and its kinds report `error`.
    pub(crate) fn missing_id(&self, ctx: &Ctx, field: &str) {
        self.fail_with(
            ctx,
            "MissingId",
            format!("{} listed an item without its {field}", self.operation),
            None,
        );
    }

    /// Records `err` as a field gap: only the checks that read one of `fields` of the
    /// kinds report `error`; the rest of the data is complete.
    pub(crate) fn gap<E, R>(&self, ctx: &Ctx, err: &SdkError<E, R>, fields: &[&str])
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        ctx.record(CollectionError {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            ..self.error(&ctx.account, code(err), message(err))
        });
    }
}

/// Inserts each `(key, value)` whose value the reply carried; a value the API did not
/// give stays absent from the data (its checks then report `error`), never a default.
pub(crate) fn put_present<T: serde::Serialize>(
    data: &mut serde_json::Map<String, serde_json::Value>,
    fields: impl IntoIterator<Item = (&'static str, Option<T>)>,
) {
    for (k, v) in fields {
        if let Some(v) = v {
            data.insert(k.into(), serde_json::json!(v));
        }
    }
}

/// Formats an SDK timestamp as RFC 3339 UTC (second precision).
pub(crate) fn ts(t: &aws_smithy_types::DateTime) -> Option<String> {
    let secs = t.secs();
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Every item of a paginated listing: `items` takes each page's list. `None` (the failed
/// page recorded as for [`each_page`]) when a page could not be read, so the caller
/// emits nothing rather than a partial set.
pub(crate) async fn all_pages<P, E, R, T>(
    ctx: &Ctx,
    op: &Op<'_>,
    resource_id: Option<&str>,
    pb: &indicatif::ProgressBar,
    pages: aws_smithy_async::future::pagination_stream::PaginationStream<Result<P, SdkError<E, R>>>,
    mut items: impl FnMut(P) -> Vec<T>,
) -> Option<Vec<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut all = Vec::new();
    each_page(ctx, op, resource_id, pb, pages, |p| all.extend(items(p)))
        .await
        .then_some(all)
}

/// Reads every page of a paginator, counting each on `pb` and handing it to `each`. The
/// first failed page is recorded against `op` (for `resource_id` when given) and ends the
/// listing: `false` then, and what was read must not be used as if complete.
pub(crate) async fn each_page<P, E, R>(
    ctx: &Ctx,
    op: &Op<'_>,
    resource_id: Option<&str>,
    pb: &indicatif::ProgressBar,
    mut pages: aws_smithy_async::future::pagination_stream::PaginationStream<
        Result<P, SdkError<E, R>>,
    >,
    mut each: impl FnMut(P),
) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    while let Some(page) = pages.next().await {
        pb.inc(1);
        match page {
            Ok(p) => each(p),
            Err(e) => {
                op.fail(ctx, &e, resource_id);
                return false;
            }
        }
    }
    true
}
