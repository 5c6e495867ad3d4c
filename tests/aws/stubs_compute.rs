//! Side services for the compute collectors (Lambda, ECR, ECS, EKS, EFS, Backup) where
//! moto lacks a call the collector makes. Included by `tests/aws_moto.rs`.

use crate::harness::{Message, Reply, Stub, forward};

/// Lambda: forwards to `port` (moto, or a proxy in front of it) and answers
/// `ListFunctionUrlConfigs`, which moto does not implement, from moto's
/// `GetFunctionUrlConfig` of the same function. Reply shape:
/// https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctionUrlConfigs.html
/// (`{"FunctionUrlConfigs": [FunctionUrlConfig...], "NextMarker": null}`).
fn lambda(port: u16) -> Stub {
    Stub::start(move |req: &Message| {
        let path = req.path.split('?').next().unwrap_or_default();
        if req.method == "GET" && path.ends_with("/urls") {
            let mut get = req.clone();
            get.path = format!("{}/url", path.trim_end_matches("/urls"));
            let reply = forward(port, &get);
            if reply.status == 404 {
                return Reply::json(200, r#"{"FunctionUrlConfigs":[]}"#);
            }
            // moto answers GetFunctionUrlConfig with 201.
            if !(200..300).contains(&reply.status) {
                return reply;
            }
            let config: serde_json::Value =
                serde_json::from_slice(&reply.body).expect("GetFunctionUrlConfig JSON");
            let list = serde_json::json!({ "FunctionUrlConfigs": [config] });
            return Reply::json(200, &list.to_string());
        }
        forward(port, req)
    })
}

/// The compute side services in front of one moto (or proxy) port.
pub struct ComputeStubs {
    lambda: Stub,
}

impl ComputeStubs {
    /// Starts the side services forwarding to `port`.
    pub fn start(port: u16) -> ComputeStubs {
        ComputeStubs {
            lambda: lambda(port),
        }
    }

    /// The per-service endpoint variables pointing at them.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        vec![("AWS_ENDPOINT_URL_LAMBDA", self.lambda.url.as_str())]
    }
}
