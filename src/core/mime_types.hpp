// Content types by file name extension: for the web UI's own files and for downloads from the file spaces.
#pragma once

#include <string_view>

namespace deskgate {

// The content type for a file name ("report.PDF" → "application/pdf"); application/octet-stream when the
// extension is unknown. Text types carry "; charset=utf-8".
std::string_view mime_type_for(std::string_view file_name);

}  // namespace deskgate
