//! What every file mamori reads (checks, kinds, mutelists, baselines, inventories) shares
//! when it reports a problem in that file: the parser's message without its position,
//! and positions in the user's text (`file:line:col` from a byte offset, the span of a
//! top-level YAML key).

/// A parser's message without the " at line L column C" that serde_json and serde_yaml
/// append: mamori reports the position itself, as `file:line:col`.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset and length of a top-level `key:` in YAML text.
pub fn key_span(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(key) && line[key.len()..].starts_with(':') {
            return Some((offset, key.len()));
        }
        offset += line.len();
    }
    None
}

/// Maps a position inside the value of top-level `key` (1-based line, 0-based column
/// within the value, e.g. a CEL expression) to a byte offset in the file. Handles plain, quoted and
/// literal/folded block scalars; for folded blocks the line is approximate.
pub fn value_offset(text: &str, key: &str, eline: usize, ecol: usize) -> usize {
    let Some((key_off, _)) = key_span(text, key) else {
        return 0;
    };
    let line_end = text[key_off..]
        .find('\n')
        .map_or(text.len(), |i| key_off + i);
    let after = &text[key_off + key.len() + 1..line_end];
    let trimmed = after.trim_start();
    let value_start = line_end - after.len() + (after.len() - trimmed.len());
    let block = trimmed.starts_with('|') || trimmed.starts_with('>');
    if !block {
        let quote = usize::from(trimmed.starts_with('"') || trimmed.starts_with('\''));
        return value_start + quote + ecol;
    }
    // Block scalar: content starts on the next line, at its indentation.
    let mut offset = line_end + 1;
    let mut lines = text.get(offset..).unwrap_or("").split_inclusive('\n');
    let mut indent = None;
    let mut current = 1;
    let folded = trimmed.starts_with('>');
    let target_line = if folded { 1 } else { eline };
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            offset += l.len();
            if indent.is_some() {
                current += 1;
            }
            continue;
        }
        let ind = *indent.get_or_insert(l.len() - l.trim_start().len());
        if current == target_line {
            let col = if folded {
                ecol.min(l.trim_end().len().saturating_sub(ind))
            } else {
                ecol
            };
            return offset + ind + col;
        }
        current += 1;
        offset += l.len();
    }
    value_start
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
