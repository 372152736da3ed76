# The same routing without imip: any text/calendar part goes to Calendar.
require ["mime", "fileinto"];
if header :mime :anychild :contains "content-type" "text/calendar" { fileinto "Calendar"; }
