//! The OpenAPI document of the whole server, generated from the handlers' annotations and
//! served at `/api/v2/openapi.json`. Paths are relative to the server URL `/api/v2`, as in the
//! Screendesk contract, whose four operations keep their paths, parameters, schemas and
//! operation ids (checked by a test against the seed file).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::{admin, agent, bookmarks, integration, labels, me, model, public, shares, upload};
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "agentrec ingest API", version = "2.0.0",
        description = "Screendesk-compatible recordings API, plus agentrec's agent, integration and admin endpoints."),
    paths(
        public::list_recordings, public::get_recording, public::update_recording,
        public::download_recording, public::track_playlist, public::track_init,
        public::track_segment, public::track_poster,
        me::me, labels::filters, labels::set, bookmarks::list, bookmarks::create,
        bookmarks::delete, shares::create, shares::list, shares::revoke,
        shares::shared_recording, shares::shared_playlist, shares::shared_init,
        shares::shared_segment, shares::shared_poster, shares::get_sharing, shares::put_sharing,
        agent::enroll, agent::heartbeat, agent::policy, agent::events, agent::create_recording,
        agent::status, agent::put_track, upload::upload_init, upload::upload_segment,
        upload::upload_poster, agent::finalize,
        integration::post_call_event,
        admin::list_users, admin::create_user, admin::set_user_team, admin::issue_token,
        admin::revoke_token, admin::issue_enrollment, admin::list_teams, admin::create_team,
        admin::add_supervisor, admin::get_policy, admin::put_policy, admin::get_team_policy,
        admin::put_team_policy, admin::delete_team_policy, admin::fleet, admin::revoke_device, admin::audit_log,
        admin::legal_hold, admin::delete_recording, admin::run_retention,
    ),
    components(schemas(
        ErrorBody, model::Pagination, model::Recording, model::RecordingList, public::SortOrder,
    )),
    modifiers(&Security),
    security(("BearerAuth" = [])),
    tags(
        (name = "Recordings", description = "Screendesk-compatible recordings API"),
        (name = "Playback", description = "Per-track HLS playlists, segments and posters"),
        (name = "Viewer", description = "The supervisor viewer: caller, filters, labels, bookmarks, share links"),
        (name = "Agent", description = "The desktop app's endpoints (device token)"),
        (name = "Integrations", description = "CTI call events"),
        (name = "Admin", description = "Administration (admin API token)"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "BearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token (admin-issued), or device token for /agent endpoints",
                    ))
                    .build(),
            ),
        );
        openapi.servers = Some(vec![Server::new("/api/v2")]);
        // Every operation can meet a malformed id, query or header before its handler runs:
        // say so once here rather than in each annotation.
        let bad_request = ResponseBuilder::new()
            .description("Malformed request (bad id, query, header or JSON)")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("400".to_owned())
                    .or_insert_with(|| bad_request.clone().into());
            }
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
