//! The size of items and values as DynamoDB counts it against its limits: attribute names and
//! values in bytes, numbers by their digits, a little more for lists and maps.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::codec::Item;

/// `item`'s size: every attribute's name and value.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A value's size.
pub(crate) fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.len() + item_size(map),
        _ => 1,
    }
}

/// A number's size: about one byte per two significant digits, and one more.
fn number_size(number: &str) -> usize {
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_names_and_values() {
        let item = Item::from([
            ("PK".to_owned(), AttributeValue::S("USER#1".into())),
            ("n".to_owned(), AttributeValue::N("12345".into())),
            ("flag".to_owned(), AttributeValue::Bool(true)),
            (
                "tags".to_owned(),
                AttributeValue::L(vec![AttributeValue::S("ab".into())]),
            ),
        ]);
        // 2 + 6, 1 + 4, 4 + 1, 4 + (3 + 1 + 2)
        assert_eq!(item_size(&item), 8 + 5 + 5 + 10);
    }
}
