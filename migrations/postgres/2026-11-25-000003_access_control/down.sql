DROP TABLE articles;
DROP TABLE access_rules;
DROP TABLE business_elements;
