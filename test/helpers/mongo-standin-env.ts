// The jest project `mongodb-adapter`: test servers store through the MongoDB adapter, on the stand-in
// unless FHIR_TEST_STORE=mongodb (with MONGODB_URI) asks for a real MongoDB.
process.env.FHIR_TEST_STORE ||= 'mongo-standin';
