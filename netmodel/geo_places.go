package netmodel

// A placeWeight is one city of the built-in geographic model and the number
// of Cardano stake pools it stands for.
type placeWeight struct {
	Place
	pools int
}

// places is the city table of the built-in geographic model, ordered by
// region (NA, EU, AS, OC, SA, AF) and within a region roughly by pool
// count. Coordinates are the cities' centres to two decimals.
//
// Table order is part of the model: NewGeo's placement walks it, so
// reordering or editing rows changes every seed's placement.
//
// The pool counts come from the 2,685 real pools (epoch 630) in
// ../shared/data/cardano-pools/topology-v4-mainnet.meta.json (ouroboros-leios,
// commit 0200037), counted once by a throwaway script, not shipped:
//   - pools are counted per registry country (`cc`); the 431 pools whose
//     country is null ("Unresolved") are dropped, leaving 2,254 pools in
//     58 countries, every one of which has at least one city here;
//   - a pool whose hosting-region label names a data centre in a city of
//     this table in the same country (e.g. aws:us-east-2 -> Columbus,
//     hetzner:falkenstein -> Falkenstein, contabo:lauterbourg -> Karlsruhe,
//     20 km away) counts for that city;
//   - the other pools of a country (label "cc:XX", or a data centre in
//     another country than the registry one, e.g. hetzner:helsinki for
//     "DE") are shared evenly among that country's cities, the remainder
//     going one each to the first cities in table order.
//
// So each country's total equals its real pool count (US 842, DE 534,
// FR 151, JP 85, CA 77, ...), and the region totals are NA 921, EU 1,053,
// AS 214, OC 44, SA 13, AF 9.
var places = [...]placeWeight{
	{Place{"Ashburn", "US", "NA", 39.04, -77.49}, 80},
	{Place{"New York", "US", "NA", 40.71, -74.01}, 59},
	{Place{"Columbus", "US", "NA", 39.96, -83.00}, 106},
	{Place{"Chicago", "US", "NA", 41.88, -87.63}, 41},
	{Place{"Council Bluffs", "US", "NA", 41.26, -95.86}, 101},
	{Place{"St. Louis", "US", "NA", 38.63, -90.20}, 63},
	{Place{"Dallas", "US", "NA", 32.78, -96.80}, 41},
	{Place{"Atlanta", "US", "NA", 33.75, -84.39}, 48},
	{Place{"Miami", "US", "NA", 25.76, -80.19}, 40},
	{Place{"Seattle", "US", "NA", 47.61, -122.33}, 56},
	{Place{"Portland", "US", "NA", 45.52, -122.68}, 76},
	{Place{"San Jose", "US", "NA", 37.34, -121.89}, 46},
	{Place{"Los Angeles", "US", "NA", 34.05, -118.24}, 40},
	{Place{"Las Vegas", "US", "NA", 36.17, -115.14}, 45},
	{Place{"Montreal", "CA", "NA", 45.50, -73.57}, 38},
	{Place{"Toronto", "CA", "NA", 43.65, -79.38}, 20},
	{Place{"Vancouver", "CA", "NA", 49.28, -123.12}, 19},
	{Place{"Mexico City", "MX", "NA", 19.43, -99.13}, 1},
	{Place{"Willemstad", "CW", "NA", 12.11, -68.93}, 1},
	{Place{"Frankfurt", "DE", "EU", 50.11, 8.68}, 105},
	{Place{"Nuremberg", "DE", "EU", 49.45, 11.08}, 68},
	{Place{"Falkenstein", "DE", "EU", 50.48, 12.37}, 111},
	{Place{"Karlsruhe", "DE", "EU", 49.01, 8.40}, 184},
	{Place{"Berlin", "DE", "EU", 52.52, 13.40}, 33},
	{Place{"Munich", "DE", "EU", 48.14, 11.58}, 33},
	{Place{"Paris", "FR", "EU", 48.86, 2.35}, 54},
	{Place{"Roubaix", "FR", "EU", 50.69, 3.17}, 49},
	{Place{"Strasbourg", "FR", "EU", 48.57, 7.75}, 48},
	{Place{"London", "GB", "EU", 51.51, -0.13}, 36},
	{Place{"Manchester", "GB", "EU", 53.48, -2.24}, 24},
	{Place{"Amsterdam", "NL", "EU", 52.37, 4.90}, 62},
	{Place{"Vienna", "AT", "EU", 48.21, 16.37}, 53},
	{Place{"Dublin", "IE", "EU", 53.35, -6.26}, 32},
	{Place{"Zurich", "CH", "EU", 47.38, 8.54}, 27},
	{Place{"Stockholm", "SE", "EU", 59.33, 18.07}, 25},
	{Place{"Milan", "IT", "EU", 45.46, 9.19}, 13},
	{Place{"Brussels", "BE", "EU", 50.85, 4.35}, 12},
	{Place{"Prague", "CZ", "EU", 50.08, 14.44}, 9},
	{Place{"Bucharest", "RO", "EU", 44.43, 26.10}, 9},
	{Place{"Warsaw", "PL", "EU", 52.23, 21.01}, 8},
	{Place{"Vilnius", "LT", "EU", 54.69, 25.28}, 7},
	{Place{"Helsinki", "FI", "EU", 60.17, 24.94}, 7},
	{Place{"Madrid", "ES", "EU", 40.42, -3.70}, 6},
	{Place{"Nicosia", "CY", "EU", 35.17, 33.36}, 6},
	{Place{"Ljubljana", "SI", "EU", 46.06, 14.51}, 5},
	{Place{"Oslo", "NO", "EU", 59.91, 10.75}, 5},
	{Place{"Budapest", "HU", "EU", 47.50, 19.04}, 3},
	{Place{"Athens", "GR", "EU", 37.98, 23.73}, 3},
	{Place{"Lisbon", "PT", "EU", 38.72, -9.14}, 2},
	{Place{"Riga", "LV", "EU", 56.95, 24.11}, 2},
	{Place{"Sofia", "BG", "EU", 42.70, 23.32}, 2},
	{Place{"Moscow", "RU", "EU", 55.76, 37.62}, 2},
	{Place{"Vaduz", "LI", "EU", 47.14, 9.52}, 2},
	{Place{"Bratislava", "SK", "EU", 48.15, 17.11}, 1},
	{Place{"Copenhagen", "DK", "EU", 55.68, 12.57}, 1},
	{Place{"Istanbul", "TR", "EU", 41.01, 28.98}, 1},
	{Place{"Zagreb", "HR", "EU", 45.81, 15.98}, 1},
	{Place{"Kyiv", "UA", "EU", 50.45, 30.52}, 1},
	{Place{"Tallinn", "EE", "EU", 59.44, 24.75}, 1},
	{Place{"Tokyo", "JP", "AS", 35.68, 139.69}, 62},
	{Place{"Osaka", "JP", "AS", 34.69, 135.50}, 23},
	{Place{"Seoul", "KR", "AS", 37.57, 126.98}, 36},
	{Place{"Singapore", "SG", "AS", 1.35, 103.82}, 30},
	{Place{"Mumbai", "IN", "AS", 19.08, 72.88}, 22},
	{Place{"Bangalore", "IN", "AS", 12.97, 77.59}, 1},
	{Place{"Ho Chi Minh City", "VN", "AS", 10.82, 106.63}, 8},
	{Place{"Hong Kong", "HK", "AS", 22.32, 114.17}, 7},
	{Place{"Taipei", "TW", "AS", 25.03, 121.57}, 6},
	{Place{"Beijing", "CN", "AS", 39.90, 116.41}, 3},
	{Place{"Shanghai", "CN", "AS", 31.23, 121.47}, 2},
	{Place{"Kuala Lumpur", "MY", "AS", 3.14, 101.69}, 3},
	{Place{"Dubai", "AE", "AS", 25.20, 55.27}, 3},
	{Place{"Jakarta", "ID", "AS", -6.21, 106.85}, 3},
	{Place{"Tel Aviv", "IL", "AS", 32.09, 34.78}, 2},
	{Place{"Bangkok", "TH", "AS", 13.76, 100.50}, 2},
	{Place{"Tehran", "IR", "AS", 35.69, 51.39}, 1},
	{Place{"Sydney", "AU", "OC", -33.87, 151.21}, 19},
	{Place{"Melbourne", "AU", "OC", -37.81, 144.96}, 8},
	{Place{"Perth", "AU", "OC", -31.95, 115.86}, 8},
	{Place{"Auckland", "NZ", "OC", -36.85, 174.76}, 8},
	{Place{"Noumea", "NC", "OC", -22.28, 166.46}, 1},
	{Place{"Buenos Aires", "AR", "SA", -34.60, -58.38}, 5},
	{Place{"Santiago", "CL", "SA", -33.45, -70.67}, 4},
	{Place{"Sao Paulo", "BR", "SA", -23.55, -46.63}, 3},
	{Place{"Montevideo", "UY", "SA", -34.90, -56.16}, 1},
	{Place{"Johannesburg", "ZA", "AF", -26.20, 28.05}, 5},
	{Place{"Cape Town", "ZA", "AF", -33.92, 18.42}, 4},
}
