-- wrk: one GET of the path on wrk's command line per request; anything but 200 is counted as an error
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TQ_TOKEN")
function response(status, headers, body)
	if status ~= 200 then io.stderr:write("status " .. status .. "\n") end
end
