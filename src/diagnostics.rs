//! What every file mamori reads (checks, kinds, mutelists, baselines, inventories) shares
//! when it reports a problem in that file.

/// A parser's message without the " at line L column C" that serde_json and serde_yaml
/// append: mamori reports the position itself, as `file:line:col`.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_is_cut_off() {
        assert_eq!(
            strip_position("invalid type: string \"x\", expected u32 at line 3 column 7"),
            "invalid type: string \"x\", expected u32"
        );
        assert_eq!(strip_position("missing field `id`"), "missing field `id`");
    }
}
