namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>Sentences for the MiniLM import: a calibration set and a disjoint, varied evaluation set.</summary>
internal static class MiniLmSentences
{
    public static readonly string[] Calibration =
    [
        "The quick brown fox jumps over the lazy dog.",
        "A man is playing a guitar on the street corner.",
        "Interest rates rose for the third time this year.",
        "How do I reset my password?",
        "The mitochondria is the powerhouse of the cell.",
        "She opened the window and let the cold air in.",
        "Quarterly revenue exceeded analysts' expectations by a wide margin.",
        "Can you recommend a good Italian restaurant nearby?",
        "The committee postponed its decision until next month.",
        "Photosynthesis converts light energy into chemical energy.",
        "My flight was delayed because of the storm.",
        "He scored two goals in the final ten minutes of the match.",
        "Install the package and restart the service.",
        "Children were laughing in the park all afternoon.",
        "The ancient temple was rebuilt after the earthquake.",
        "What is the capital city of Australia?",
    ];

    public static readonly string[] Evaluation =
    [
        "A cat is sleeping on the warm windowsill.",
        "A dog runs across the field chasing a ball.",
        "The stock market fell sharply on Monday.",
        "Investors worried about rising inflation.",
        "I forgot my login credentials for the website.",
        "How can I change the password of my account?",
        "The recipe calls for two cups of flour and an egg.",
        "Bake the bread at two hundred degrees for forty minutes.",
        "The spacecraft entered orbit around Mars.",
        "Astronomers discovered a new planet orbiting a distant star.",
        "The orchestra performed Beethoven's ninth symphony.",
        "She plays the violin in a string quartet.",
        "The hospital hired fifty new nurses this spring.",
        "Doctors recommend regular exercise and a balanced diet.",
        "Heavy rain caused flooding in several villages.",
        "The weather forecast predicts snow tomorrow.",
        "He bought a new laptop for his programming classes.",
        "The software update fixed several security vulnerabilities.",
        "Our team won the championship after a tough season.",
        "The referee showed him a red card.",
        "The museum opened an exhibition of modern sculpture.",
        "Painters gathered by the river to capture the sunset.",
        "The train to Berlin leaves at half past seven.",
        "Traffic was terrible on the highway this morning.",
        "The senator proposed a new law on data privacy.",
        "Voters will go to the polls in November.",
        "Coffee prices have doubled since last year.",
        "She drinks green tea every morning.",
        "The library extended its opening hours.",
        "Students are preparing for their final exams.",
        "A strong earthquake shook the coastal city.",
        "Volcanic ash grounded flights across the region.",
        "The company announced layoffs at its main factory.",
        "Unemployment dropped to its lowest level in a decade.",
        "He repaired the bicycle's flat tire.",
        "The mechanic replaced the car's brake pads.",
        "Bees are essential for pollinating crops.",
        "The forest is home to many rare birds.",
        "Please send me the report by Friday.",
        "The meeting has been moved to conference room B.",
        "Chess requires patience and careful planning.",
        "The children built a sandcastle on the beach.",
        "Quantum computers may break current encryption schemes.",
        "Neural networks learn patterns from large datasets.",
        "The bakery on Main Street sells fresh croissants.",
        "My grandmother tells the best stories.",
        "The river froze during the coldest winter on record.",
        "Solar panels were installed on the school roof.",
        "Where is the nearest train station?",
        "I would like to book a table for two at eight.",
        "The novel won a prestigious literary prize.",
        "Translation between languages is a hard problem.",
        "Good morning!",
        "Why is the sky blue during the day but red at sunset, and what does scattering of light have to do with it?",
    ];

    /// <summary>A small retrieval example: each query's relevant document (index into <see cref="Documents"/>).</summary>
    public static readonly (string Query, int Relevant)[] Queries =
    [
        ("How do I recover access to my account?", 0),
        ("What is the weather going to be like?", 1),
        ("Which team won the game?", 2),
        ("How do plants make food from sunlight?", 3),
        ("Where can I get good pasta?", 4),
    ];

    public static readonly string[] Documents =
    [
        "To reset your password, click 'Forgot password' on the sign-in page and follow the emailed link.",
        "Tomorrow will be cloudy with showers in the afternoon and a high of twelve degrees.",
        "The home side beat the visitors three to one in last night's match.",
        "Photosynthesis lets plants turn light, water and carbon dioxide into sugar and oxygen.",
        "Luigi's trattoria downtown serves handmade spaghetti and lasagna.",
        "The central bank kept interest rates unchanged this quarter.",
    ];
}
