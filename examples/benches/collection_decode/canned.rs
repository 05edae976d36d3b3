//! A local HTTP server that answers every request with the same DynamoDB JSON body, so that a
//! query's client side (the SDK's parse of the answer, dynatable's decoding) can be timed on a
//! full 1 MB page without a database in the way.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use dynatable_core::Item;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Value, json};

/// The body of a query's answer holding `items`, as DynamoDB writes it.
pub fn query_answer(items: &[Item]) -> String {
    let items: Vec<Value> = items
        .iter()
        .map(|item| {
            let attributes: Map<String, Value> = item
                .iter()
                .map(|(name, value)| (name.clone(), attribute(value)))
                .collect();
            Value::Object(attributes)
        })
        .collect();
    json!({ "Count": items.len(), "ScannedCount": items.len(), "Items": items }).to_string()
}

fn attribute(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        other => panic!("the page holds no {other:?}"),
    }
}

/// Starts a server on a free loopback port answering every request with `body`; returns its URL.
/// It lives as long as the process.
pub fn serve(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let body = Arc::new(body);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = Arc::clone(&body);
            std::thread::spawn(move || answer_each(stream, &body));
        }
    });
    url
}

/// Answers the requests of one keep-alive connection until the client closes it.
fn answer_each(stream: TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut request = vec![0; length];
        if reader.read_exact(&mut request).is_err()
            || writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}
