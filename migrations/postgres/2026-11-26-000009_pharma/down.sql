DROP TABLE inspections;
DROP TABLE serializations;
DROP TABLE batches;
DROP TABLE sites;
