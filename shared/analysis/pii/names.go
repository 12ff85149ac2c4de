package pii

import (
	_ "embed"
	"strings"

	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
)

// firstNameList is the embedded given-name gazetteer: common given names of the
// English-speaking world, Europe, Latin America, South Asia, the Arab world and romanised East
// Asian names, about 700 in all.
const firstNameList = `
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald
Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon
Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose
Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger
Terry Gerald Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce
Gabriel Logan Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell
Bobby Mason Philip Louis Harry Oliver Liam Lucas Aiden Owen Caleb Isaac Luke Hunter Connor
Leo Max Oscar Theo Theodore Hugo Felix Arlo Finn Miles Ezra Jasper Silas Declan Rowan Elliot
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Betty
Margaret Sandra Ashley Kimberly Emily Donna Michelle Dorothy Carol Amanda Melissa Deborah
Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela
Nicole Emma Samantha Katherine Christine Debra Rachel Catherine Carolyn Janet Ruth Maria
Heather Diane Virginia Julie Joyce Victoria Olivia Kelly Christina Lauren Joan Evelyn Judith
Megan Cheryl Andrea Hannah Martha Jacqueline Frances Gloria Ann Teresa Kathryn Sara Janice
Jean Alice Madison Doris Abigail Julia Judy Grace Denise Amber Marilyn Beverly Danielle
Theresa Sophia Marie Diana Brittany Natalie Isabella Charlotte Rose Alexis Kayla Ava Mia
Harper Amelia Ella Chloe Lily Layla Zoe Nora Hazel Aurora Violet Stella Lucy Claire Aria
Penelope Scarlett Ellie Eleanor Naomi Leah Audrey Ruby Alice Sadie Iris Quinn Ivy Eliza
Fiona Eileen Siobhan Niamh Aoife Ciara Sinead Saoirse Bridget Maeve Imogen Phoebe Poppy
Freya Isla Esme Florence Matilda Beatrice Harriet Rosie Millie Jessie Holly Molly Daisy
Wendy Tracy Tina Gail Joanne Lorraine Yvonne Valerie Monica Vanessa Erica Erin Tiffany
Crystal Dawn Tammy Paula Robin Rita Sylvia Carmen Marjorie Veronica Lucille Norma Irene
Gwendolyn Josephine Bernadette Colleen Agnes Edith Ethel Mildred Gladys Vera Ida Esther
Miriam Rachael Tamara Bethany Caroline Melanie Jillian Kristen Kristin Allison Alison
Lindsay Lindsey Courtney Brooke Chelsea Whitney Kelsey Shannon Morgan Taylor Jenna Alyssa
Brianna Gabriella Gabrielle Savannah Kaitlyn Katie Kate Jane Jenny Jill Kim Meg Beth Liz
Tom Tim Bob Bill Jim Mike Dave Steve Chris Matt Dan Nick Tony Joe Ben Sam Pete Andy Rob
Greg Jeff Ted Ron Ken Alex Jake Josh Will Charlie Freddie Alfie Archie Ollie Harvey Toby
Rory Callum Cameron Ewan Fraser Hamish Angus Alistair Graham Nigel Colin Trevor Clive Derek
Neil Ian Gordon Malcolm Stuart Duncan Barry Martin Simon Mark Adrian Dean Craig Darren Lee
Wesley Marcus Curtis Travis Troy Shane Derrick Clarence Leonard Howard Earl Stanley Herbert
Frederick Francis Bernard Norman Harvey Lloyd Leroy Calvin Glenn Cecil Marvin Mitchell
Jose Luis Carlos Miguel Jorge Pedro Alejandro Diego Javier Fernando Ricardo Eduardo Rafael
Manuel Francisco Antonio Sergio Pablo Andres Roberto Emilio Mateo Santiago Sebastian Nicolas
Joaquin Ignacio Gonzalo Rodrigo Hector Raul Ramon Esteban Alberto Enrique Guillermo Julio
Cesar Oscar Arturo Salvador Camila Valentina Sofia Lucia Martina Daniela Gabriela Mariana
Paula Carla Elena Isabel Ana Rosa Pilar Dolores Guadalupe Alejandra Ximena Catalina Juana
Marisol Beatriz Adriana Paola Lorena Veronica Claudia Silvia Patricia Fernanda Luciana
José María Jesús Ángel Andrés Joaquín Ramón Raúl Héctor Julián Sebastián Martín Nicolás
Lucía Sofía Inés Mónica Verónica Begoña Zoë Chloé Renée Noémie Hélène Amélie Léa Zoé Céline
François Jérôme Stéphane Frédéric Sébastien Benoît Hervé Thierry Pierre Jean Jacques Michel
Philippe Alain Bernard Christophe Laurent Nicolas Olivier Julien Guillaume Antoine Mathieu
Camille Manon Juliette Margaux Mathilde Sophie Nathalie Isabelle Sylvie Catherine Brigitte
Hans Klaus Jürgen Dieter Wolfgang Helmut Uwe Stefan Andreas Markus Matthias Tobias Florian
Sebastian Lukas Jonas Maximilian Leon Finn Moritz Niklas Felix Paul Karl Heinz Günter
Ursula Monika Petra Sabine Birgit Claudia Katrin Anja Julia Lena Hanna Lea Marie Greta
Björn Søren Lars Nils Erik Anders Magnus Henrik Mikkel Rasmus Jens Ole Sven Gunnar Ingrid
Astrid Sigrid Freja Ingrid Linnea Elin Maja Emil Axel Oskar Vilhelm Åsa Kjersti Tuva
Giovanni Giuseppe Francesco Alessandro Lorenzo Matteo Leonardo Riccardo Marco Luca Andrea
Davide Stefano Roberto Massimo Paolo Giorgio Salvatore Vincenzo Chiara Giulia Francesca
Federica Alessia Martina Valentina Elisa Silvia Giorgia Beatrice Aurora Ginevra
João Pedro Tiago Gonçalo Rui Nuno Duarte Inês Beatriz Joana Leonor Mariana Carolina
Piotr Krzysztof Tomasz Paweł Łukasz Michał Marcin Jakub Katarzyna Małgorzata Agnieszka
Magdalena Joanna Aleksandra Zofia Dmitri Sergei Ivan Alexei Vladimir Nikolai Mikhail
Andrei Olga Natalia Svetlana Tatiana Irina Ekaterina Anastasia Yulia Oksana Dariusz
Jan Pavel Petr Tomáš Jiří Eva Hana Lenka Zuzana Petra István László Zoltán Katalin Zsófia
Dimitris Nikos Giorgos Kostas Maria Eleni Katerina Yannis Ahmet Mehmet Mustafa Emre Elif
Zeynep Ayşe Fatma Burak Can
Mohammed Muhammad Mohamed Ahmed Ahmad Ali Omar Hassan Hussein Youssef Yusuf Ibrahim Khalid
Mahmoud Mustafa Karim Tariq Samir Rami Ziad Faisal Hamza Bilal Imran Fatima Aisha Ayesha
Khadija Maryam Zainab Layla Leila Noor Nour Amira Yasmin Yasmine Salma Huda Rania Hiba
Priya Ananya Aditi Divya Kavya Pooja Neha Sneha Anjali Shreya Lakshmi Deepa Sunita Meena
Rahul Amit Rohit Vikram Arjun Rajesh Sanjay Suresh Ramesh Anil Sunil Vijay Ravi Arun Kiran
Aarav Vivaan Aditya Ishaan Rohan Karan Nikhil Varun Siddharth Pranav Manish Deepak Ashok
Wei Jing Ying Xiaoming Mei Lan Hui Jun Hao Yan Ming Jie Tao Lei Chen Zhang Li Xin Yu Fang
Hiroshi Takashi Kenji Yuki Haruto Sota Yuto Ren Akira Satoshi Daisuke Kazuki Sakura Yui
Aoi Hina Yuna Mio Haruka Naoko Keiko Yoko Akiko Minjun Jisoo Seojun Jiwoo Minseo Seoyeon
Jiho Hyun Soo Nguyen Thanh Minh Linh Huong Duc Anh Tuan
Kwame Kofi Ama Akosua Chinedu Chiamaka Ngozi Emeka Oluwaseun Tunde Adebayo Folake Amara
Thabo Sipho Lerato Nomvula Zanele Tendai Wanjiru Njeri Kamau Otieno Achieng
Jamal Malik Darnell Tyrone DeShawn Jamar Latoya Keisha Tanisha Shanice Imani Aaliyah Jada
Destiny Diamond Ebony Monique Dominique Andre Terrell Reggie Maurice Cedric
Brandon Cody Dustin Brett Chad Todd Kirk Lance Bradley Spencer Preston Garrett Grant
Colton Landon Hudson Carson Easton Brody Jaxon Jackson Grayson Lincoln Wyatt Levi Carter
Julian Isaiah Josiah Nathaniel Micah Gideon Abraham Moses Solomon Eli Asher Judah
Madeline Madelyn Addison Avery Riley Emery Kennedy Peyton Reagan Paisley Brooklyn Everly
Autumn Summer Willow Hope Faith Joy June April May Paige Sierra Skylar Kylie Kendra Tara
Elise Anne Annie Lydia Clara Alma Ada Edna Opal Pearl Mabel Ruth Lois Nina Vera Thelma
Jasmine Ariana Adeline Vivian Valeria Eva Gianna Josie Delilah Luna Lila Maya Mila Kinsley
`

// ambiguousNameList: given names that are also common English words, months or places;
// they count as names only with a surname or an honorific.
const ambiguousNameList = `May June April August Will Bill Mark Grace Hope Faith Joy Jack
Art Chase Dean Guy Max Sydney Paris Georgia Virginia Jordan Austin Dallas Florence Victoria
Chelsea Lincoln Washington Carol Frank Summer Autumn Dawn Ivy Lily Daisy Ruby Amber Crystal
Penny Pearl Holly Iris Jasmine Violet Brooke Hunter Mason Carter Cooper Taylor Miles Paige
Reed Wade Drew Pat Sue Don Ray Rob Ken Al Eve Lee Can Soo Jan Ann Ada Lois Rose Stella
Aurora Destiny Diamond Sierra Luna Maya Mila Savannah Kennedy Riley Avery Emery Harper
Brooklyn Hudson Carson Grant Spencer Preston Rowan Ren Ming Li Yu Jun Lan Mei Wei Can Amara
Chen Zhang Anh Duc Minh Bernard Noor Nour Cedric Lance Kirk Troy Chad Todd Angus Imani
Harvey Rory Quinn Lincoln Tuesday Christian Marie`

// nameStopList: capitalised words that never continue a name.
const nameStopList = `The A An And Or But If Of In On At To For From By With Without About As
Is Are Was Were Be Been I We You He She They It This That These Those My Your His Her Our
Their Its Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December Street St Avenue Ave Road
Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Place Pl Way Inc Corp Corporation Ltd LLC Co
Company Limited Holdings Bank University College School Hospital Group Foundation Institute Center Centre
Hotel Airport Airlines Park Gardens Street Square Church Museum Library Club Team Department
Dept Office Ministry Council Committee Board Agency Service Services Systems Solutions
Technologies Labs Studio Studios Press News Times Post Journal Review Today Tomorrow
Yesterday Please Thanks Thank Dear Hi Hello Hey Regards Best Sincerely Cheers Yes No Not
Email Phone Tel Fax Mobile Address Account Card Invoice Order Ticket Ref Reference ID SSN
IBAN URL IP Password Username Date Time Street North South East West Mr Mrs Ms Miss Dr
Prof Sir Jr Sr II III IV`

// surnameList: common surnames (the most frequent in the US census, the UK, Spain and Latin
// America, Germany, France, India, Vietnam, Korea, Japan, Nigeria), used to recognise a
// capitalised given name missing from the gazetteer.
const surnameList = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan
Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson
Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald
Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson
Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer
Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold
Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong
Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews
Pena Richards Willis Carpenter Lawrence Sandoval O'Brien O'Connor O'Neill Murphy Walsh Byrne
Müller Schneider Fischer Weber Becker Schulz Wagner Koch Richter Klein Wolf Schröder Neumann
Dubois Durand Leroy Moreau Lefebvre Laurent Simon Michel Bernard Petit Roux Fournier
García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Díaz Hernández Álvarez
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Kowalski Nowak Wiśniewski
Kumar Singh Sharma Gupta Shah Mehta Reddy Rao Iyer Nair Khan Ali Hussain Ahmed Haddad Nakamura
Tanaka Suzuki Takahashi Watanabe Yamamoto Sato Ito Wang Zhang Liu Yang Huang Zhao Wu Zhou Park
Choi Jung Kang Cho Yoon Okafor Okonkwo Adeyemi Mensah Søndergaard Jensen Nielsen Hansen
Larsen Andersen Johansson Karlsson Nilsson Eriksson Ivanov Petrov Smirnov Popov Novak`

var (
	surnameSet     = txt.Set(surnameList)
	firstNames     = txt.Set(firstNameList)
	ambiguousNames = txt.Set(ambiguousNameList)
	nameStop       = txt.Set(nameStopList)
	// commonWords: words in lower case that a run of capitalised words made only of them is not
	// a name ("Public License"); see commonPhrase.
	commonWords = txt.Set(strings.Join(txt.LexiconLines(commonWordsTxt), " "))
)

//go:embed lexicon/common_words.txt
var commonWordsTxt string
