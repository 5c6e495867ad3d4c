//! cel's value of a resource's data, built from the JSON tree the compiled conditions
//! read ([`Json`]), borrowing its strings: the data is parsed once, and cel's value is
//! built only for the conditions and messages left to cel.

use std::collections::HashMap;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;

use crate::checks::compiled::Json;

/// The CEL value of `json`.
pub fn of<'a>(json: &'a Json<'a>) -> Box<dyn Val + 'a> {
    match json {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Int(i) => Box::new(CelInt::from(*i)),
        Json::UInt(u) => Box::new(CelUInt::from(*u)),
        Json::Double(f) => Box::new(CelDouble::from(*f)),
        Json::Str(s) => Box::new(CelString::from(s.as_ref())),
        Json::Array(items) => Box::new(CelList::from(items.iter().map(of).collect::<Vec<_>>())),
        Json::Object(members) => {
            let mut m: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> =
                HashMap::with_capacity(members.len());
            // A repeated key keeps its last value, as a JSON object read into a map does.
            for (k, v) in members {
                m.insert(CelMapKey::from(k.as_ref()), of(v));
            }
            Box::new(CelMap::from(m))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_json_shape() {
        let text = r#"{"s":"a\"b","n":-3,"u":18446744073709551615,"f":1.5,"b":true,"z":null,"l":[1,"x"],"m":{"k":"v"}}"#;
        let tree = Json::parse(text).unwrap();
        let v = of(&tree);
        let value = cel::Value::try_from(v.as_ref()).unwrap();
        let json = value.json().unwrap();
        assert_eq!(json["s"], "a\"b");
        assert_eq!(json["n"], -3);
        assert_eq!(json["l"][1], "x");
        assert_eq!(json["m"]["k"], "v");
        assert!(Json::parse("{").is_err());
    }
}
