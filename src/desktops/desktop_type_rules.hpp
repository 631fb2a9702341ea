// What makes a desktop type valid, whichever way it arrives (configuration file or admin API), and the
// conversion of a [[desktop_types]] entry into the stored record.
#pragma once

#include "config/config.hpp"
#include "store/store.hpp"

namespace deskgate {

// Fills what a new type may leave out: a docker desktop without a port serves VNC on its first
// display's port (5901).
void apply_desktop_type_defaults(desktop_type& t);

// Throws deskgate::error{errc::bad_request} naming the field and what is wrong with it.
void validate_desktop_type(const desktop_type& t);

// A configuration entry as a stored type (limits parsed; the password becomes the type's secret).
desktop_type desktop_type_from_config(const desktop_type_config& c);

// Creates each configured type or updates the stored one with the same slug (configuration wins for the
// fields it declares). Types created through the API are left alone. Returns how many were written.
int upsert_configured_types(store& db, const std::vector<desktop_type_config>& configured);

}  // namespace deskgate
