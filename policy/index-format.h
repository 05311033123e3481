/* The compiled index format, shared by index.c (reader) and compile.c (writer). */
