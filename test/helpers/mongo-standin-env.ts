// The jest project `mongodb-adapter`: test servers store through the MongoDB adapter on the stand-in.
process.env.FHIR_TEST_STORE = 'mongo-standin';
