//! JSON responders beyond `Json<T>`: strong ETags with 304, and a chosen status code.
//! Both are documented in OpenAPI exactly like `Json<T>`.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, ETag, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder};
use bytes::Bytes;
use paperclip::actix::OperationModifier;
use paperclip::actix::web::Json;
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw};
use paperclip::v2::schema::Apiv2Schema;
use serde::Serialize;

use app::RenderedPage;

/// A rendered page of a `T`, answered with its ETag; a request whose `If-None-Match`
/// matches gets 304.
#[derive(Debug)]
pub struct Tagged<T>(pub RenderedPage, PhantomData<T>);

impl<T> Tagged<T> {
    pub fn new(page: RenderedPage) -> Self {
        Self(page, PhantomData)
    }
}

impl<T> Responder for Tagged<T> {
    type Body = BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let RenderedPage { json, etag } = self.0;
        let etag = EntityTag::new_strong(etag);
        let matches = match request.get_header::<IfNoneMatch>() {
            Some(IfNoneMatch::Any) => true,
            Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.strong_eq(&etag)),
            None => false,
        };
        if matches {
            return HttpResponse::NotModified().insert_header(ETag(etag)).finish();
        }
        HttpResponse::Ok().insert_header(ETag(etag)).content_type(ContentType::json()).body(json)
    }
}

/// JSON serialised earlier (a cached outline), documented as `T`.
#[derive(Debug)]
pub struct JsonBytes<T>(pub Bytes, pub PhantomData<T>);

impl<T> JsonBytes<T> {
    pub fn new(json: Bytes) -> Self {
        Self(json, PhantomData)
    }
}

impl<T> Responder for JsonBytes<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().content_type(ContentType::json()).body(self.0)
    }
}

/// A JSON response with a status other than 200 (e.g. 503 from `/health`).
#[derive(Debug)]
pub struct WithStatus<T>(pub StatusCode, pub T);

impl<T: Serialize> Responder for WithStatus<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::build(self.0).json(self.1)
    }
}

/// Documents a responder wrapping `T` exactly as paperclip documents `Json<T>`.
macro_rules! documented_as_json {
    ($wrapper:ident) => {
        impl<T: Apiv2Schema> Apiv2Schema for $wrapper<T> {
            fn name() -> Option<String> {
                T::name()
            }

            fn description() -> &'static str {
                T::description()
            }

            fn raw_schema() -> DefaultSchemaRaw {
                T::raw_schema()
            }
        }

        impl<T: Apiv2Schema> OperationModifier for $wrapper<T> {
            fn update_response(op: &mut DefaultOperationRaw) {
                Json::<T>::update_response(op);
            }

            fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
                Json::<T>::update_definitions(map);
            }
        }
    };
}

documented_as_json!(Tagged);
documented_as_json!(WithStatus);
documented_as_json!(JsonBytes);
