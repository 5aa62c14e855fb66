# The ph-clean rules written in jq, for the benchmark.  jq has no UUID
# version 5, so a derived distinct_id is "derived:" + the uuid; and jq
# 1.6 rewrites large numbers (123456789012345678901234567890 becomes
# 1.2345678901234568e+29), which ph-clean never does.
def blank: . == null or (type == "string" and
    ((sub("^\\s+"; "") | sub("\\s+$"; "") | ascii_downcase) as $t
     | $t == "" or $t == "none"));

(if (.uuid | type) == "string" then . else .uuid = .id end)
| del(.id)
| (if (.distinct_id | blank) then .distinct_id = "derived:" + .uuid else . end)
| (if (.properties | type) == "string" then .properties |= fromjson else . end)
| .properties = (.properties // {})
| (if (.properties.distinct_id | blank)
   then .properties.distinct_id = .distinct_id else . end)
| (if ((.elements_chain // "") != ""
       and (.properties | has("$elements_chain") | not))
   then .properties["$elements_chain"] = .elements_chain else . end)
| .properties["$geoip_disable"] = true
| del(.person, .elements, .elements_chain, .sent_at, .offset, .now, .team_id)
