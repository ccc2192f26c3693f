DROP TABLE tasks;
DROP TABLE workflows;
DROP TABLE projects;
