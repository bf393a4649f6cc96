-- wrk script: POST a LearnHouse multipart course form (the same form every time; names need
-- not be unique). Used by bench_foundation.py when wrk is installed.
wrk.method = "POST"
local boundary = "----learnstream-bench"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
wrk.body = field("name", "Bench course")
  .. field("description", "A beginner-friendly Python course")
  .. field("about", "Learn Python from scratch.")
  .. field("public", "true")
  .. "--" .. boundary .. "--\r\n"
